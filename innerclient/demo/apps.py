from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "innerclient.demo"
    label = "demo"

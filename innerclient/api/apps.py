from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "innerclient.api"
    label = "api"

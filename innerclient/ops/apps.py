from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "innerclient.ops"
    label = "ops"

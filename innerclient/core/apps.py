from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "innerclient.core"
    label = "core"

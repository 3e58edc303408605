from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "innerclient.appeals"
    label = "appeals"

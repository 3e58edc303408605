from django.apps import AppConfig


class RegulationConfig(AppConfig):
    name = "innerclient.regulation"
    label = "regulation"

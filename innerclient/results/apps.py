from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "innerclient.results"
    label = "results"

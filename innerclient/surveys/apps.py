from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "innerclient.surveys"
    label = "surveys"

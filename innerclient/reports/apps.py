from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "innerclient.reports"
    label = "reports"

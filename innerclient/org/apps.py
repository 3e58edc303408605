from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "innerclient.org"
    label = "org"

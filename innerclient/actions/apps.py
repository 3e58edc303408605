from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "innerclient.actions"
    label = "actions"

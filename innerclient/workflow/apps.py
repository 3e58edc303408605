from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "innerclient.workflow"
    label = "workflow"

from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "innerclient.backup"
    label = "backup"

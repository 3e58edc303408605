from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "innerclient.accounts"
    label = "accounts"

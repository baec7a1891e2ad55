from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "epitrace.accounts"
    label = "accounts"
    verbose_name = "Accounts"

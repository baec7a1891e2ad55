from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "epitrace.contacts"
    label = "contacts"
    verbose_name = "Contacts"

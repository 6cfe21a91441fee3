from django.apps import AppConfig


class EconomicsConfig(AppConfig):
    name = "slawatch.economics"
    verbose_name = "Marketing economics"

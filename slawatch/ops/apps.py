from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "slawatch.ops"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "slawatch.demo"
    verbose_name = "Demo"

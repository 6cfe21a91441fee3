from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "slawatch.escalation"

from django.apps import AppConfig


class WhatIfConfig(AppConfig):
    name = "slawatch.whatif"
    verbose_name = "What-if"

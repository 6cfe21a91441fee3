from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "slawatch.ingest"

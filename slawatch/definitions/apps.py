from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "slawatch.definitions"
    verbose_name = "Lead definitions"

    def ready(self):
        # Imported here, not at the top: they import models, which exist only once the
        # app registry is ready.
        from slawatch.definitions.selectors import definitions_in_force
        from slawatch.leads.services import use_definitions

        # The derivation asks for the definitions through this hook; leads never imports us.
        use_definitions(definitions_in_force)

from slawatch.leads.models import Handoff


class Report(Handoff):
    """The reports dashboard's entry in the admin index. A proxy: no table of its own."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "KPI reports"
        verbose_name_plural = "KPI reports"

from slawatch.leads.models import Handoff


class WhatIf(Handoff):
    """The what-if page's entry in the admin index. A proxy: a what-if stores nothing."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = "what-if replay"
        verbose_name_plural = "what-if replay"

"""slawatch decided something the CRM should show: queue the write (same transaction)."""

from django.conf import settings
from django.dispatch import receiver

from slawatch.crmsync.models import WriteKind
from slawatch.crmsync.outbox import crm_write_queue
from slawatch.leads.signals import lead_reassigned

WRITABLE_CRMS = ("hubspot", "salesforce", "pipedrive")


@receiver(lead_reassigned, dispatch_uid="crmsync-owner-write-back")
def owner_write_back(sender, lead, handoff, to, owner_id, **kwargs):
    if settings.SLAWATCH_CRM_WRITEBACK and lead.crm in WRITABLE_CRMS:
        crm_write_queue(lead=lead, kind=WriteKind.OWNER, values={"owner_id": owner_id},
                        handoff=handoff)

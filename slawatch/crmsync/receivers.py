"""slawatch decided something the CRM should show: queue the write (same transaction)."""

from django.conf import settings
from django.dispatch import receiver

from slawatch.crmsync.models import WriteKind
from slawatch.crmsync.outbox import crm_write_queue
from slawatch.crmsync.models import CrmWrite, WriteStatus
from slawatch.crmsync.writers import sla_fields
from slawatch.leads.models import Handoff
from slawatch.leads.signals import handoff_sla_changed, lead_reassigned

WRITABLE_CRMS = ("hubspot", "salesforce", "pipedrive")


@receiver(lead_reassigned, dispatch_uid="crmsync-owner-write-back")
def owner_write_back(sender, lead, handoff, to, owner_id, **kwargs):
    if settings.SLAWATCH_CRM_WRITEBACK and lead.crm in WRITABLE_CRMS:
        crm_write_queue(lead=lead, kind=WriteKind.OWNER, values={"owner_id": owner_id},
                        handoff=handoff)


@receiver(handoff_sla_changed, dispatch_uid="crmsync-sla-fields")
def sla_write_back(sender, handoff_ids, **kwargs):
    """The lead's current handoff changed its due time or status: the CRM record follows.
    Only the latest values are written (a pending write is updated in place)."""
    if not settings.SLAWATCH_CRM_WRITEBACK:
        return
    crms = [crm for crm in WRITABLE_CRMS if sla_fields(crm)]
    if not crms:
        return
    for handoff in Handoff.objects.filter(pk__in=handoff_ids, lead__crm__in=crms) \
            .select_related("lead"):
        current = handoff.lead.handoffs.order_by("-handed_off_at").values_list(
            "pk", flat=True).first()
        if current != handoff.pk:
            continue  # an older handoff of the lead: the record shows the current one
        due = handoff.first_touch_due_at
        values = {"due": due.isoformat() if due else None, "status": handoff.status}
        last = CrmWrite.objects.filter(lead=handoff.lead, kind=WriteKind.SLA).exclude(
            status=WriteStatus.FAILED).order_by("-pk").first()
        if last is None or last.values != values:
            crm_write_queue(lead=handoff.lead, kind=WriteKind.SLA, values=values,
                            handoff=handoff)

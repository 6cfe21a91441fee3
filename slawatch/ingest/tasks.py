"""Celery tasks: thin wrappers taking ids, calling services."""

from celery import shared_task

from slawatch.ingest import pollers, services
from slawatch.ingest.models import CrmEvent, CrmEventStatus


@shared_task(ignore_result=True)
def process_crm_event(event_pk: int):
    services.process_event(event_pk)


@shared_task(ignore_result=True)
def process_crm_events(event_pks: list[int]):
    services.process_batch(event_pks)


@shared_task(ignore_result=True)
def process_received(source: str, event_ids: list[str]):
    pks = CrmEvent.objects.filter(source=source, event_id__in=event_ids,
                                  status=CrmEventStatus.PENDING).order_by("pk").values_list(
        "pk", flat=True)  # batch order: a creation before the changes that follow it
    services.process_pks(list(pks))


@shared_task(ignore_result=True)
def process_inbox():
    """Woken (at most once per burst) when deliveries arrive; drains every fresh one."""
    services.process_fresh_events()


@shared_task(ignore_result=True)
def requeue_pending():
    """Beat: anything not processed past its grace (broker or worker was down, or a
    retry is due) is queued again. Retries live in the database, not in ETA tasks."""
    pks = services.claim_due()
    for start in range(0, len(pks), services.INBOX_BATCH):
        process_crm_events.delay(pks[start:start + services.INBOX_BATCH])


@shared_task(ignore_result=True)
def poll_crms():
    pollers.poll_all()

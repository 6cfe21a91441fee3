"""Celery tasks for the CRM write outbox (they only call outbox.py)."""

from celery import shared_task

from slawatch.crmsync import outbox, owners


@shared_task(ignore_result=True)
def push_due() -> dict:
    """Beat, and after each queued write: send every CRM write whose time has come."""
    return outbox.push_due()


@shared_task(ignore_result=True)
def sync_owners() -> None:
    """Beat, daily: map CRM owners to people by e-mail."""
    owners.sync_owners()

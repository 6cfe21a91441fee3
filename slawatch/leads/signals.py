"""Signals other apps listen to without leads importing them (no import cycle)."""

from django.dispatch import Signal

# Sent by leads.reassign.handoff_reassign inside its transaction, after the move was
# applied: lead, handoff (the one closed), to (the new Person), owner_id (their CRM id).
lead_reassigned = Signal()

# Sent inside the transaction that changed them: handoff_ids, the handoffs whose first-touch
# due time or status changed (new handoffs included). Sent by the derivation's writer and
# by the sweep when it records a breach.
handoff_sla_changed = Signal()

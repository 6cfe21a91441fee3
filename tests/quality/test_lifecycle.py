import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from slawatch.escalation.models import Escalation
from slawatch.leads.models import Lead
from slawatch.quality import selectors, services
from slawatch.quality.models import IllegalTransition, LeadFeedback, QualityDispute
from tests.quality.world import assign, policy, rejection


@pytest.fixture
def lead(org):
    policy()
    return assign("L-1", "rep-7")


def test_rejection_needs_a_reason_and_other_needs_text(org, lead):
    with pytest.raises(ValidationError, match="needs a reason"):
        services.feedback_give(lead=lead, by=org.rep, verdict="rejected")
    with pytest.raises(ValidationError, match="other"):
        services.feedback_give(lead=lead, by=org.rep, verdict="rejected", reason="other")
    with pytest.raises(ValidationError):
        services.feedback_give(lead=lead, by=org.rep, verdict="accepted", rating=6)
    assert not LeadFeedback.objects.exists()
    feedback, _ = services.feedback_give(lead=lead, by=org.rep, verdict="rejected",
                                         reason="other", comment="wrong country")
    assert feedback.comment == "wrong country"


def test_second_verdict_replaces_the_first_and_history_keeps_both(org, lead):
    first, created = services.feedback_give(lead=lead, by=org.rep, verdict="accepted", rating=4)
    second, created_again = services.feedback_give(lead=lead, by=org.rep, verdict="rejected",
                                                   reason="duplicate")
    assert created and not created_again and first.pk == second.pk
    assert LeadFeedback.objects.count() == 1
    assert [h.verdict for h in second.history.order_by("history_date")] == ["accepted", "rejected"]


def test_the_database_refuses_a_rejection_without_reason(org, lead):
    with pytest.raises(IntegrityError), transaction.atomic():
        LeadFeedback.objects.create(lead=lead, given_by=org.rep, verdict="rejected")


def test_only_a_rejection_can_be_disputed(org, lead):
    accepted, _ = services.feedback_give(lead=lead, by=org.rep, verdict="accepted")
    with pytest.raises(IllegalTransition, match="only a rejection"):
        services.dispute_file(feedback=accepted, by=org.marketer, reason="they bought")
    assert not QualityDispute.objects.exists()


def test_filing_notifies_rep_manager_and_marketer_through_the_outbox(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="they have budget")
    rows = {(e.recipient, e.channel) for e in Escalation.objects.filter(kind="dispute")}
    assert rows == {(f"person:{org.rep.pk}", "slack"), (f"person:{org.manager.pk}", "slack"),
                    (f"person:{org.marketer.pk}", "email")}
    assert all(e.handoff_id is None and e.status == "pending"
               for e in Escalation.objects.filter(kind="dispute"))
    assert Escalation.objects.filter(payload__event="dispute.filed",
                                     payload__dispute_id=dispute.pk).count() == 3
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="upheld", comment="fair")
    assert Escalation.objects.filter(payload__event="dispute.resolved").count() == 3


def test_resolution_needs_a_comment_and_is_final(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="budget exists")
    with pytest.raises(IllegalTransition, match="comment"):
        services.dispute_resolve(dispute=dispute, by=org.manager, outcome="overturned", comment=" ")
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="overturned", comment="ok")
    with pytest.raises(IllegalTransition, match="overturned cannot become upheld"):
        services.dispute_resolve(dispute=dispute, by=org.manager, outcome="upheld", comment="no")
    with pytest.raises(IllegalTransition):
        services.dispute_withdraw(dispute=dispute, by=org.marketer)
    assert QualityDispute.objects.get().outcome == "overturned"


def test_the_shell_cannot_reopen_or_flip_a_resolved_dispute(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="budget exists")
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="upheld", comment="fine")
    dispute = QualityDispute.objects.get()
    dispute.outcome = "open"
    with pytest.raises(IllegalTransition, match="upheld cannot become open"):
        dispute.save()
    with pytest.raises(IllegalTransition, match="starts open"):
        QualityDispute(feedback=dispute.feedback, reason="x", outcome="upheld").save()


def test_a_raw_update_cannot_resolve_without_comment(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="budget exists")
    with pytest.raises(IntegrityError), transaction.atomic():
        QualityDispute.objects.filter(pk=dispute.pk).update(outcome="upheld")


def test_one_open_dispute_per_rejection(org, lead):
    feedback = rejection(lead, org.rep)
    services.dispute_file(feedback=feedback, by=org.marketer, reason="one")
    with pytest.raises(IllegalTransition, match="already has an open dispute"):
        services.dispute_file(feedback=feedback, by=org.marketer, reason="two")


def test_an_overturned_rejection_counts_as_accepted(org, lead):
    other = assign("L-2", "rep-7")
    kept = rejection(other, org.rep)
    feedback = rejection(lead, org.rep)
    dispute = services.dispute_file(feedback=feedback, by=org.marketer, reason="fit")
    assert selectors.effective_verdict(feedback) == "rejected"
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="overturned", comment="ok")
    assert selectors.effective_verdict(feedback) == "accepted"
    verdicts = dict(selectors.feedback_with_effective_verdict()
                    .values_list("pk", "effective_verdict"))
    assert verdicts == {feedback.pk: "accepted", kept.pk: "rejected"}
    by_lead = dict(Lead.objects.annotate(v=selectors.lead_effective_verdict())
                   .values_list("pk", "v"))
    assert by_lead == {lead.pk: "accepted", other.pk: "rejected"}


def test_accepting_after_all_withdraws_the_open_dispute(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="budget exists")
    services.feedback_give(lead=lead, by=org.rep, verdict="accepted")
    dispute.refresh_from_db()
    assert dispute.outcome == "withdrawn" and dispute.resolved_at is not None


def test_dispute_notices_are_delivered_by_the_escalation_task_after_commit(
        org, lead, mailoutbox, django_capture_on_commit_callbacks):
    feedback = rejection(lead, org.rep)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_file(feedback=feedback, by=org.marketer, reason="they have budget")
    # The marketer has no Slack id, so email; the rep and manager get Slack rows instead.
    assert [m.to for m in mailoutbox] == [[org.marketer.email]]
    assert "disputes the rejection" in mailoutbox[0].subject
    assert "they have budget" in mailoutbox[0].body
    statuses = dict(Escalation.objects.values_list("channel", "status").distinct())
    assert statuses["email"] == "sent"


def test_a_resolver_holding_a_stale_copy_loses_to_the_first_resolution(org, lead):
    dispute = services.dispute_file(feedback=rejection(lead, org.rep), by=org.marketer,
                                    reason="budget exists")
    stale = QualityDispute.objects.get(pk=dispute.pk)  # read by the second resolver's page
    services.dispute_resolve(dispute=dispute, by=org.manager, outcome="upheld", comment="first")
    assert stale.outcome == "open"
    with pytest.raises(IllegalTransition, match="upheld cannot become overturned"):
        services.dispute_resolve(dispute=stale, by=org.director, outcome="overturned",
                                 comment="second")
    dispute.refresh_from_db()
    assert (dispute.outcome, dispute.resolution_comment) == ("upheld", "first")
    assert Escalation.objects.filter(payload__event="dispute.resolved").count() == 3

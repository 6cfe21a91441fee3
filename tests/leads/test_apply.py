"""Every domain event type through apply_events, and the rules of handoffs and milestones."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from slawatch.leads.models import Handoff, Lead, LeadEvent, Milestone, Opportunity, Touch
from slawatch.leads.services import apply_events, handoff_acknowledge, handoff_snooze
from tests.factories import CalendarFactory, PolicyFactory, TeamFactory, at, event

NOW = "2026-11-23 12:00:00Z"  # a Monday


@pytest.fixture
def policies(cast):
    """hot: 15 min, warm: 60 min, cold: 240 min; 24x7, every touch kind counts."""
    return {
        "hot": PolicyFactory(heat="hot", first_touch_minutes=15),
        "warm": PolicyFactory(heat="warm", first_touch_minutes=60),
        "cold": PolicyFactory(heat="cold", first_touch_minutes=240),
    }


def assigned(eid, when, owner="rep-7", **lead):
    return event(eid, "lead.assigned", f"2026-11-23T{when}:00Z", owner=owner, **lead)


def touched(eid, when, by="rep-7", kind="call", **extra):
    touch = {"kind": kind, "at": f"2026-11-23T{when}:00Z", **extra}
    if by is not None:
        touch["by"] = by
    return event(eid, "lead.touched", f"2026-11-23T{when}:00Z", touch=touch)


def only_handoff():
    return Handoff.objects.get()


# --- lead.created / lead.assigned ----------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_created_event_fills_the_lead_and_opens_a_handoff_for_its_owner(cast, policies):
    apply_events([event("1", "lead.created", "2026-11-23T09:00:00Z", owner="rep-7", heat="hot",
                        email="ana@example.com", name="Ana Ruiz", company="Example Co",
                        source="demo_request", campaign="Q4-webinar", score=81)])
    lead = Lead.objects.get(crm="acme", external_id="L-42")
    assert (lead.email, lead.name, lead.company, lead.source, lead.campaign, lead.score) == \
        ("ana@example.com", "Ana Ruiz", "Example Co", "demo_request", "Q4-webinar", 81)
    assert lead.heat == "hot" and lead.owner == cast.rep and lead.owner_crm_id == "rep-7"
    assert lead.created_in_crm_at == at("2026-11-23 09:00")
    handoff = only_handoff()
    assert (handoff.rep, handoff.team, handoff.heat) == (cast.rep, cast.team, "hot")
    assert handoff.policy == policies["hot"]
    assert handoff.snapshot["first_touch_minutes"] == 15


@time_machine.travel("2026-11-23 09:05:00Z", tick=False)
def test_assignment_opens_an_open_handoff_with_its_first_touch_milestone(cast, policies):
    apply_events([assigned("1", "09:00", heat="warm")])
    handoff = only_handoff()
    assert handoff.status == "open" and handoff.breached_at is None
    assert handoff.handed_off_at == at("2026-11-23 09:00")
    assert handoff.first_touch_due_at == at("2026-11-23 10:00")
    milestone = handoff.milestones.get()
    assert (milestone.seq, milestone.kind, milestone.due_at) == (0, "first_touch",
                                                                 at("2026-11-23 10:00"))
    assert handoff.next_due_at == at("2026-11-23 09:30")  # the rep's warning at 50 %


@time_machine.travel(NOW, tick=False)
def test_lead_without_heat_gets_the_default_heat(cast, policies, settings):
    settings.SLAWATCH_DEFAULT_HEAT = "cold"
    apply_events([assigned("1", "09:00")])
    assert only_handoff().heat == "cold"
    assert only_handoff().first_touch_due_at == at("2026-11-23 13:00")


@time_machine.travel(NOW, tick=False)
def test_untouched_handoff_past_due_is_breached_at_its_due_time(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot")])
    handoff = only_handoff()
    assert handoff.status == "breached"
    assert handoff.breached_at == at("2026-11-23 09:15")  # the due time, not when noticed


@time_machine.travel(NOW, tick=False)
def test_assignment_in_business_hours_policy_is_due_in_business_time(cast):
    calendar = CalendarFactory(time_zone="America/New_York")  # 09-17 Mon-Fri
    PolicyFactory(heat="hot", first_touch_minutes=15, calendar=calendar)
    # Friday 16:50 EST (21:50Z): 10 minutes on Friday, 5 on Monday morning.
    apply_events([event("1", "lead.assigned", "2026-11-20T21:50:00Z", owner="rep-7",
                        heat="hot")])
    handoff = only_handoff()
    assert handoff.first_touch_due_at == at("2026-11-23 14:05")  # Monday 09:05 EST
    assert handoff.status == "open"  # 12:00Z Monday is before the due time


@time_machine.travel(NOW, tick=False)
def test_handoff_without_a_policy_for_its_heat_runs_no_clock(cast):
    PolicyFactory(heat="hot")
    apply_events([assigned("1", "09:00", heat="cold")])
    handoff = only_handoff()
    assert handoff.status == "open" and handoff.first_touch_due_at is None
    assert handoff.next_due_at is None and not handoff.milestones.exists()


@time_machine.travel(NOW, tick=False)
def test_team_policy_wins_over_the_default(cast, policies):
    team_policy = PolicyFactory(heat="hot", team=cast.team, first_touch_minutes=5)
    apply_events([assigned("1", "09:00", heat="hot")])
    assert only_handoff().policy == team_policy
    assert only_handoff().first_touch_due_at == at("2026-11-23 09:05")


@time_machine.travel(NOW, tick=False)
def test_policy_is_snapshotted_so_later_edits_do_not_rewrite_history(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot")])
    policies["hot"].first_touch_minutes = 120
    policies["hot"].save()
    apply_events([touched("t", "09:30")])  # re-derives the lead
    assert only_handoff().first_touch_due_at == at("2026-11-23 09:15")
    assert only_handoff().status == "breached"


# --- reassignment -------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_reassignment_closes_the_old_handoff_and_opens_a_new_one(cast, policies):
    apply_events([assigned("1", "09:00", heat="warm"), assigned("2", "09:20", owner="rep-8")])
    old, new = Handoff.objects.order_by("handed_off_at")
    assert (old.rep, old.status, old.close_reason) == (cast.rep, "closed", "reassigned")
    assert old.closed_at == at("2026-11-23 09:20") and old.next_due_at is None
    assert old.breached_at is None  # it was closed before it was due
    assert (new.rep, new.status, new.closed_at) == (cast.rep2, "breached", None)
    assert new.first_touch_due_at == at("2026-11-23 10:20")


@time_machine.travel(NOW, tick=False)
def test_reassigned_met_handoff_keeps_met_and_gets_closed_at(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:10"),
                  assigned("2", "09:20", owner="rep-8")])
    old = Handoff.objects.get(rep=cast.rep)
    assert (old.status, old.closed_at, old.close_reason) == ("met", at("2026-11-23 09:20"),
                                                              "reassigned")


@time_machine.travel(NOW, tick=False)
def test_reassigned_breached_handoff_keeps_breached_and_gets_closed_at(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), assigned("2", "09:40", owner="rep-8")])
    old = Handoff.objects.get(rep=cast.rep)
    assert (old.status, old.breached_at, old.closed_at) == (
        "breached", at("2026-11-23 09:15"), at("2026-11-23 09:40"))


@time_machine.travel(NOW, tick=False)
def test_same_owner_reported_again_is_not_a_new_handoff(cast, policies):
    apply_events([event("0", "lead.created", "2026-11-23T08:59:00Z", owner="rep-7", heat="hot"),
                  assigned("1", "09:00"), assigned("2", "09:30")])
    assert only_handoff().handed_off_at == at("2026-11-23 08:59")


@time_machine.travel(NOW, tick=False)
def test_touch_by_the_new_rep_counts_only_for_the_new_handoff(cast, policies):
    apply_events([assigned("1", "09:00", heat="warm"), assigned("2", "09:20", owner="rep-8"),
                  touched("t", "09:30", by="rep-8")])
    old = Handoff.objects.get(rep=cast.rep)
    new = Handoff.objects.get(rep=cast.rep2)
    assert old.status == "closed" and new.status == "met"
    assert Touch.objects.get().handoff == new


# --- lead.heat_changed ---------------------------------------------------------------------

@time_machine.travel("2026-11-23 09:31:00Z", tick=False)
def test_upgrade_before_first_touch_restarts_the_clock_at_the_change(cast, policies):
    # warm at 09:00 is due 10:00; hot at 09:30 is due 09:45, the earlier: it wins.
    apply_events([assigned("1", "09:00", heat="warm"),
                  event("2", "lead.heat_changed", "2026-11-23T09:30:00Z", heat="hot")])
    handoff = only_handoff()
    assert handoff.heat == "hot" and handoff.policy == policies["hot"]
    assert handoff.first_touch_due_at == at("2026-11-23 09:45")
    milestone = handoff.milestones.get()
    assert milestone.started_at == at("2026-11-23 09:30")
    assert Lead.objects.get().heat == "hot"


@time_machine.travel("2026-11-23 09:31:00Z", tick=False)
def test_late_upgrade_never_relaxes_the_original_due_time(cast, policies):
    # warm at 09:00 is due 10:00; hot at 09:50 would be 10:05: the earlier 10:00 stays.
    apply_events([assigned("1", "09:00", heat="warm"),
                  event("2", "lead.heat_changed", "2026-11-23T09:50:00Z", heat="hot")])
    handoff = only_handoff()
    assert handoff.heat == "hot"
    assert handoff.first_touch_due_at == at("2026-11-23 10:00")


@time_machine.travel("2026-11-23 09:06:00Z", tick=False)
def test_downgrade_never_relaxes_the_due_time(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"),
                  event("2", "lead.heat_changed", "2026-11-23T09:05:00Z", heat="cold")])
    assert only_handoff().first_touch_due_at == at("2026-11-23 09:15")


@time_machine.travel(NOW, tick=False)
def test_heat_change_after_the_first_touch_does_not_retier(cast, policies):
    apply_events([assigned("1", "09:00", heat="warm"), touched("t", "09:10"),
                  event("2", "lead.heat_changed", "2026-11-23T09:20:00Z", heat="hot")])
    handoff = only_handoff()
    assert handoff.heat == "warm" and handoff.first_touch_due_at == at("2026-11-23 10:00")
    assert handoff.status == "met"
    assert Lead.objects.get().heat == "hot"


# --- lead.touched ------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_first_touch_in_time_meets_the_handoff(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:12", kind="email")])
    handoff = only_handoff()
    assert handoff.status == "met" and handoff.breached_at is None
    assert handoff.first_touched_at == at("2026-11-23 09:12")
    assert handoff.speed_to_lead_seconds == 12 * 60
    assert handoff.next_due_at is None
    touch = Touch.objects.get()
    assert (touch.kind, touch.by, touch.counted, touch.handoff) == ("email", cast.rep, True,
                                                                    handoff)


@time_machine.travel(NOW, tick=False)
def test_late_first_touch_is_a_breach_at_the_due_time(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:40")])
    handoff = only_handoff()
    assert handoff.status == "breached" and handoff.breached_at == at("2026-11-23 09:15")
    assert handoff.first_touched_at == at("2026-11-23 09:40")


@time_machine.travel(NOW, tick=False)
def test_touch_by_someone_else_does_not_count(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:05", by="rep-8"),
                  touched("u", "09:06", by="someone-unmapped")])
    handoff = only_handoff()
    assert handoff.status == "breached" and handoff.first_touched_at is None
    assert set(Touch.objects.values_list("counted", flat=True)) == {False}
    assert Touch.objects.get(by_crm_id="rep-8").by == cast.rep2


@time_machine.travel(NOW, tick=False)
def test_touch_without_an_author_counts(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:05", by=None)])
    assert only_handoff().status == "met"


@time_machine.travel(NOW, tick=False)
def test_only_the_policy_touch_kinds_count(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15, touch_kinds=["call", "meeting"])
    apply_events([assigned("1", "09:00", heat="hot"), touched("e", "09:05", kind="email"),
                  touched("c", "09:10", kind="call")])
    assert only_handoff().first_touched_at == at("2026-11-23 09:10")
    assert Touch.objects.get(kind="email").counted is False


@time_machine.travel(NOW, tick=False)
def test_touch_before_the_handoff_does_not_count(cast, policies):
    apply_events([touched("t", "08:55"), assigned("1", "09:00", heat="hot")])
    assert only_handoff().status == "breached"
    assert Touch.objects.get().handoff is None


@time_machine.travel(NOW, tick=False)
def test_the_same_activity_reported_twice_is_one_touch(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("w", "09:05", id="call-1"),
                  touched("p", "09:05", id="call-1")])
    assert Touch.objects.get().key == "call-1"


@time_machine.travel(NOW, tick=False)
def test_follow_ups_are_due_after_each_touch(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15, follow_up_touches=2,
                  follow_up_window_minutes=60)
    apply_events([assigned("1", "09:00", heat="hot"), touched("a", "09:10"),
                  touched("b", "10:00")])
    handoff = only_handoff()
    first, second, third = handoff.milestones.order_by("seq")
    assert (first.kind, first.met_at) == ("first_touch", at("2026-11-23 09:10"))
    assert (second.kind, second.started_at, second.due_at, second.met_at) == (
        "follow_up", at("2026-11-23 09:10"), at("2026-11-23 10:10"), at("2026-11-23 10:00"))
    assert (third.due_at, third.met_at, third.breached_at) == (
        at("2026-11-23 11:00"), None, at("2026-11-23 11:00"))
    assert handoff.status == "breached" and handoff.breached_at == at("2026-11-23 11:00")


@time_machine.travel("2026-11-23 10:30:00Z", tick=False)
def test_pending_follow_up_keeps_the_handoff_met_and_timed(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15, follow_up_touches=1,
                  follow_up_window_minutes=120, steps=[])
    apply_events([assigned("1", "09:00", heat="hot"), touched("a", "09:10")])
    handoff = only_handoff()
    assert handoff.status == "met"
    assert handoff.next_due_at == at("2026-11-23 11:10")  # the follow-up's due time


@time_machine.travel(NOW, tick=False)
def test_all_follow_ups_met_stops_the_clock(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15, follow_up_touches=1,
                  follow_up_window_minutes=60)
    apply_events([assigned("1", "09:00", heat="hot"), touched("a", "09:10"),
                  touched("b", "09:30"), touched("c", "11:30")])
    handoff = only_handoff()
    assert handoff.milestones.count() == 2 and handoff.status == "met"
    assert handoff.next_due_at is None
    assert Touch.objects.get(key__endswith=":c").counted is False


# --- lead.converted / lead.disqualified ----------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_conversion_closes_the_handoff_and_records_the_opportunity(cast, policies):
    apply_events([assigned("1", "09:00", heat="warm"),
                  event("2", "lead.converted", "2026-11-23T09:30:00Z",
                        opportunity={"external_id": "OPP-1", "amount": 12000.0,
                                     "currency": "usd"})])
    lead = Lead.objects.get()
    assert lead.status == "converted" and lead.converted_at == at("2026-11-23 09:30")
    handoff = only_handoff()
    assert (handoff.status, handoff.close_reason, handoff.closed_at) == (
        "closed", "converted", at("2026-11-23 09:30"))
    assert handoff.next_due_at is None
    opp = Opportunity.objects.get()
    assert (opp.external_id, opp.amount, opp.currency, opp.opened_at) == (
        "OPP-1", Decimal("12000.00"), "USD", at("2026-11-23 09:30"))


@time_machine.travel(NOW, tick=False)
def test_disqualification_closes_the_handoff_and_no_later_assignment_reopens(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:05"),
                  event("2", "lead.disqualified", "2026-11-23T09:30:00Z"),
                  assigned("3", "10:00", owner="rep-8")])
    lead = Lead.objects.get()
    assert lead.status == "disqualified" and lead.disqualified_at == at("2026-11-23 09:30")
    handoff = only_handoff()
    assert (handoff.status, handoff.close_reason, handoff.closed_at) == (
        "met", "disqualified", at("2026-11-23 09:30"))


# --- unmapped owners ------------------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_unmapped_owner_runs_no_clock_until_a_person_gets_that_id(
        cast, policies, admin_api, django_capture_on_commit_callbacks):
    apply_events([assigned("1", "09:00", owner="rep-99", heat="warm")])
    lead = Lead.objects.get()
    assert lead.owner_unmapped and lead.owner_crm_id == "rep-99"
    assert not Handoff.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post("/api/v1/people/", {
            "name": "Nina New", "email": "nina@example.com", "role": "rep",
            "team": cast.team.pk, "crm_ids": {"acme": "rep-99"}}, format="json")
    assert response.status_code == 201, response.data
    handoff = only_handoff()
    assert handoff.rep_id == response.data["id"]
    assert handoff.first_touch_due_at == at("2026-11-23 10:00")
    assert Lead.objects.get().owner_id == response.data["id"]


@time_machine.travel(NOW, tick=False)
def test_person_gaining_the_id_by_patch_also_gets_the_waiting_lead(
        cast, policies, admin_api, django_capture_on_commit_callbacks):
    apply_events([assigned("1", "09:00", owner="rep-99", heat="warm")])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.patch(f"/api/v1/people/{cast.rep2.pk}/",
                                   {"crm_ids": {"acme": "rep-99"}}, format="json")
    assert response.status_code == 200, response.data
    assert only_handoff().rep == cast.rep2


# --- order, duplicates, older events ----------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_an_older_event_never_overwrites_newer_state(cast, policies):
    apply_events([assigned("2", "10:00", heat="hot", name="Ana Ruiz", owner="rep-8")])
    apply_events([event("1", "lead.created", "2026-11-23T09:00:00Z", heat="cold",
                        name="A. Ruiz (old)", owner="rep-7", email="ana@example.com")])
    lead = Lead.objects.get()
    assert (lead.heat, lead.name, lead.owner) == ("hot", "Ana Ruiz", cast.rep2)
    assert lead.email == "ana@example.com"  # the older event still fills what is missing
    old, new = Handoff.objects.order_by("handed_off_at")
    assert (old.rep, old.close_reason, new.rep, new.closed_at) == (
        cast.rep, "reassigned", cast.rep2, None)


@time_machine.travel(NOW, tick=False)
def test_a_late_event_can_merge_away_a_handoff_it_explains(cast, policies):
    # The 09:30 assignment to rep-7 first looks like a new handoff; the earlier 09:00 one
    # arriving late shows rep-7 had the lead all along: one handoff from 09:00.
    apply_events([assigned("2", "09:30", heat="hot")])
    apply_events([assigned("1", "09:00", heat="hot")])
    assert only_handoff().handed_off_at == at("2026-11-23 09:00")
    assert Milestone.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_applying_the_same_events_twice_changes_nothing(cast, policies):
    events = [assigned("1", "09:00", heat="hot"), touched("t", "09:10")]
    apply_events(events)
    first = Handoff.objects.values().get()
    apply_events(events)
    assert Handoff.objects.values().get() == first
    assert LeadEvent.objects.count() == 2 and Touch.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_events_of_different_leads_are_kept_apart(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"),
                  event("2", "lead.assigned", "2026-11-23T09:00:00Z", external_id="L-43",
                        owner="rep-8", heat="cold")])
    assert Lead.objects.count() == 2
    assert Handoff.objects.get(lead__external_id="L-43").rep == cast.rep2


# --- acknowledge and snooze ---------------------------------------------------------------

@time_machine.travel(NOW, tick=False)
def test_acknowledge_stops_the_ladder_and_keeps_the_breach(cast):
    PolicyFactory(heat="hot", first_touch_minutes=15, steps=[
        {"after_breach_minutes": 0, "notify": "manager", "channel": "slack",
         "repeat_minutes": 30}])
    apply_events([assigned("1", "11:50", heat="hot")])
    handoff = only_handoff()
    assert handoff.next_due_at == at("2026-11-23 12:05")
    assert handoff_acknowledge(handoff=handoff, by="Maya") is True
    handoff.refresh_from_db()
    assert handoff.acknowledged_at == at(NOW[:16]) and handoff.acknowledged_by == "Maya"
    assert handoff.milestones.get().acknowledged_at == at(NOW[:16])
    # Only the breach itself is still to be recorded; no ladder step will fire.
    assert handoff.next_due_at == at("2026-11-23 12:05")
    assert handoff_acknowledge(handoff=handoff, by="Maya") is False
    with time_machine.travel("2026-11-23 12:10:00Z", tick=False):
        apply_events([touched("late", "12:08", by="rep-8")])  # re-derive after the due time
    handoff.refresh_from_db()
    assert handoff.status == "breached" and handoff.next_due_at is None
    assert handoff.acknowledged_at == at(NOW[:16])


@time_machine.travel(NOW, tick=False)
def test_snooze_moves_the_next_ladder_step(cast, policies):
    apply_events([assigned("1", "11:00", heat="warm")])
    handoff = only_handoff()
    assert handoff.next_due_at == at("2026-11-23 11:30")  # the 50 % warning
    handoff_snooze(handoff=handoff, until=at("2026-11-23 11:45"), by="Rita")
    assert handoff.snoozed_until == at("2026-11-23 11:45")
    assert handoff.next_due_at == at("2026-11-23 11:45")
    handoff_snooze(handoff=handoff, until=at("2026-11-23 12:45"), by="Rita")
    # The breach at 12:00 is still recorded on time even while the messages wait.
    assert handoff.next_due_at == at("2026-11-23 12:00")


@time_machine.travel(NOW, tick=False)
def test_speed_to_lead_business_seconds_skip_closed_hours(cast):
    calendar = CalendarFactory(time_zone="UTC",
                               hours=[{"weekday": d, "start": "09:00", "end": "17:00"}
                                      for d in range(5)])
    PolicyFactory(heat="hot", first_touch_minutes=120, calendar=calendar)
    apply_events([event("1", "lead.assigned", "2026-11-20T16:30:00Z", owner="rep-7",
                        heat="hot"),
                  event("2", "lead.touched", "2026-11-23T09:30:00Z",
                        touch={"kind": "call", "by": "rep-7"})])
    handoff = only_handoff()
    assert handoff.status == "met"
    assert handoff.speed_to_lead_seconds == (timedelta(days=2, hours=17)).total_seconds()
    assert handoff.speed_to_lead_business_seconds == 3600


@time_machine.travel(NOW, tick=False)
def test_two_owners_at_the_same_instant_make_one_handoff_for_the_later_event(cast, policies):
    apply_events([assigned("a", "09:00", heat="hot")])
    apply_events([assigned("b", "09:00", owner="rep-8", heat="hot")])
    assert only_handoff().rep == cast.rep2  # key "…:b" sorts after "…:a" at the same instant


@time_machine.travel(NOW, tick=False)
def test_stored_policy_snapshots_do_not_depend_on_arrival_order(cast, policies):
    # Arriving first, the 09:30 upgrade re-tiers the handoff; the earlier touch arriving
    # later undoes that. The hot snapshot must not linger from the first derivation.
    apply_events([assigned("1", "09:00", heat="warm"),
                  event("2", "lead.heat_changed", "2026-11-23T09:30:00Z", heat="hot")])
    assert set(only_handoff().policy_snapshots) == {"warm", "hot"}
    apply_events([touched("t", "09:20")])
    handoff = only_handoff()
    assert handoff.heat == "warm" and set(handoff.policy_snapshots) == {"warm"}



@time_machine.travel(NOW, tick=False)
def test_deactivating_a_rep_keeps_their_recorded_handoffs_and_touches(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot"), touched("t", "09:05")])
    cast.rep.is_active = False
    cast.rep.save()
    apply_events([touched("u", "10:00")])  # any later event re-derives the lead
    handoff = only_handoff()
    assert (handoff.rep, handoff.status) == (cast.rep, "met")
    assert set(Touch.objects.values_list("by", flat=True)) == {cast.rep.pk}


@time_machine.travel(NOW, tick=False)
def test_removing_a_crm_id_makes_its_leads_unmapped_again(
        cast, policies, admin_api, django_capture_on_commit_callbacks):
    # Removing an id says "this mapping was wrong": the lead waits for the right person.
    apply_events([assigned("1", "09:00", heat="hot")])
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.patch(f"/api/v1/people/{cast.rep.pk}/", {"crm_ids": {}}, format="json")
    assert not Handoff.objects.exists()
    assert Lead.objects.get().owner_unmapped


@time_machine.travel(NOW, tick=False)
def test_moving_a_crm_id_to_another_person_moves_the_handoff(
        cast, policies, admin_api, django_capture_on_commit_callbacks):
    apply_events([assigned("1", "09:00", heat="hot")])
    with django_capture_on_commit_callbacks(execute=True):
        admin_api.patch(f"/api/v1/people/{cast.rep.pk}/", {"crm_ids": {}}, format="json")
        admin_api.patch(f"/api/v1/people/{cast.rep2.pk}/", {"crm_ids": {"acme": "rep-7"}},
                        format="json")
    assert only_handoff().rep == cast.rep2


@time_machine.travel(NOW, tick=False)
def test_a_handoff_keeps_the_team_its_rep_had_at_handoff(cast, policies):
    apply_events([assigned("1", "09:00", heat="hot")])
    west = TeamFactory(name="West")
    cast.rep.team = west
    cast.rep.save()
    apply_events([touched("t", "09:05"), assigned("2", "10:00", owner="rep-8"),
                  assigned("3", "11:00", owner="rep-7")])
    teams = list(Handoff.objects.order_by("handed_off_at").values_list("team", flat=True))
    assert teams == [cast.team.pk, cast.team.pk, west.pk]

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from slawatch.access import handoff_rules, scoping
from slawatch.access.admin_mixins import (
    BreachedFilter,
    DisputedFilter,
    HandoffDisputedFilter,
    LeadBreachedFilter,
    PageAdmin,
    ScopedAdminMixin,
)
from slawatch.leads import admin_board as board
from slawatch.leads.models import (
    Handoff,
    Lead,
    LeadEvent,
    Milestone,
    Opportunity,
    SlaBoard,
    SlaPolicy,
    Touch,
)
from slawatch.leads.services import handoff_acknowledge
from slawatch.quality.admin_inlines import FeedbackHostMixin
from slawatch.quality.selectors import lead_effective_verdict


@admin.register(SlaPolicy)
class SlaPolicyAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "heat", "team", "first_touch_minutes", "follow_up_touches",
                    "follow_up_window_minutes", "calendar"]
    list_filter = ["heat", "team"]
    list_select_related = ["team", "calendar"]
    # Adds "Try this change on last quarter" (the what-if page, prefilled with the policy).
    change_form_template = "admin/leads/slapolicy/change_form.html"
    change_list_template = "admin/leads/slapolicy/change_list.html"


class UnmappedOwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner_mapping"

    def lookups(self, request, model_admin):
        return [("unmapped", "Unmapped CRM owner"), ("mapped", "Mapped"), ("none", "No owner")]

    def queryset(self, request, queryset):
        if self.value() == "unmapped":
            return queryset.exclude(owner_crm_id="").filter(owner__isnull=True)
        if self.value() == "mapped":
            return queryset.filter(owner__isnull=False)
        if self.value() == "none":
            return queryset.filter(owner_crm_id="")
        return queryset


class HandoffInline(admin.TabularInline):
    model = Handoff
    fields = ["rep", "heat", "definition_version", "handed_off_at", "first_touch_due_at",
              "first_touched_at", "status", "closed_at", "close_reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


class TouchInline(admin.TabularInline):
    model = Touch
    fields = ["kind", "at", "by", "by_crm_id", "counted"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    fields = ["type", "occurred_at", "key", "received_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False


CRM_FIELDS = ["crm", "external_id", "email", "name", "company", "phone", "source", "campaign",
              "heat", "crm_heat", "score", "properties", "sourced_by", "status", "owner",
              "owner_crm_id", "created_in_crm_at", "converted_at", "disqualified_at",
              "last_event_at"]


@admin.register(Lead)
class LeadAdmin(FeedbackHostMixin, ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.leads_for)  # a rep: own leads; a manager: the team's
    list_display = ["__str__", "company", "crm", "external_id", "heat", "source", "campaign",
                    "owner", "owner_crm_id", "status", "verdict", "created_at"]
    list_filter = ["status", "heat", LeadBreachedFilter, DisputedFilter,
                   ("owner__team", admin.RelatedOnlyFieldListFilter),
                   ("owner", admin.RelatedOnlyFieldListFilter), "source", "crm",
                   UnmappedOwnerFilter]
    search_fields = ["email", "name", "company", "external_id"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    readonly_fields = CRM_FIELDS  # the CRM owns these; slawatch derives them from events
    inlines = [HandoffInline, TouchInline, LeadEventInline]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(verdict=lead_effective_verdict())

    @admin.display(description="verdict", ordering="verdict")
    def verdict(self, obj):
        # The latest feedback as reports count it: an overturned rejection reads "accepted".
        return obj.verdict or "-"


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["seq", "kind", "started_at", "due_at", "met_at", "breached_at",
              "acknowledged_at", "fired"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Handoff)
class HandoffAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    scope = staticmethod(scoping.handoffs_for)
    list_display = ["lead", "rep", "team", "heat", "handed_off_at", "first_touch_due_at",
                    "first_touched_at", "status", "breached_at", "acknowledged_at", "closed_at"]
    list_filter = ["status", "heat", BreachedFilter, HandoffDisputedFilter,
                   ("team", admin.RelatedOnlyFieldListFilter),
                   ("rep", admin.RelatedOnlyFieldListFilter), "lead__source", "close_reason"]
    search_fields = ["lead__email", "lead__name", "lead__company", "lead__external_id"]
    list_select_related = ["lead", "rep", "team"]
    date_hierarchy = "handed_off_at"
    ordering = ["-handed_off_at"]
    readonly_fields = [f.name for f in Handoff._meta.concrete_fields]
    inlines = [MilestoneInline]
    actions = ["acknowledge"]

    def has_add_permission(self, request):
        return False

    def has_acknowledge_permission(self, request):
        return handoff_rules.may_act_on_some_handoff(request.user)

    @admin.action(description="Acknowledge (stop further escalation)", permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        who = scoping.actor_name(request.user)
        handoffs = list(queryset.select_related("rep__team", "team"))
        allowed = [h for h in handoffs if handoff_rules.may_acknowledge(request.user, h)]
        done = sum(handoff_acknowledge(handoff=h, by=who) for h in allowed)
        messages.success(request, f"Acknowledged {done} of {len(handoffs)} handoffs "
                                  "(the others had nothing pending).")
        if len(allowed) < len(handoffs):
            messages.warning(request, f"{len(handoffs) - len(allowed)} left alone: only "
                             f"{handoff_rules.WHO_MAY[handoff_rules.ACKNOWLEDGE]} may "
                             "acknowledge a handoff.")


@admin.register(Touch)
class TouchAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.lead_rows_for)  # rows of the leads the user sees
    list_display = ["lead", "kind", "at", "by", "by_crm_id", "counted"]
    list_filter = ["kind", "counted"]
    search_fields = ["lead__email", "lead__name", "key"]
    list_select_related = ["lead", "by"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in Touch._meta.concrete_fields]


@admin.register(LeadEvent)
class LeadEventAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.lead_rows_for)  # rows of the leads the user sees
    list_display = ["type", "lead", "occurred_at", "key", "received_at"]
    list_filter = ["type"]
    search_fields = ["key", "lead__external_id", "lead__email"]
    list_select_related = ["lead"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["lead", "key", "type", "occurred_at", "data", "received_at"]


@admin.register(Opportunity)
class OpportunityAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.lead_rows_for)  # rows of the leads the user sees
    list_display = ["external_id", "lead", "amount", "currency", "status", "opened_at", "closed_at"]
    list_filter = ["status", "currency"]
    search_fields = ["external_id", "lead__email", "lead__name"]
    list_select_related = ["lead"]


@admin.register(SlaBoard)
class SlaBoardAdmin(PageAdmin):
    """The SLA board lives at this model's list URL (/admin/leads/slaboard/); who sees it
    is the model's view permission."""

    def page_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            board.act(request)
            return HttpResponseRedirect(request.path)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta,
                   "title": "SLA board", **board.context(request.user)}
        return TemplateResponse(request, "admin/leads/slaboard.html", context)

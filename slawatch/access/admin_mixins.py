"""Admin building blocks shared by the apps' admins.

`ScopedAdminMixin` narrows a ModelAdmin's rows with a selector from scoping.py and
answers 404 (not a redirect, not a 500) for a row outside the user's scope, on
every per-object admin page, including the history pages.

`PageAdmin` is an admin index entry that is really a page (the SLA board, the reports
dashboard, what-if): the model has no rows, nothing can be added, changed or deleted,
and its list URL shows the page.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import path

from slawatch.leads.models import Handoff, HandoffStatus
from slawatch.quality.models import DisputeOutcome, QualityDispute


class ScopedAdminMixin:
    scope = None  # a selector from scoping.py: (user, queryset) -> queryset

    def get_queryset(self, request):
        return type(self).scope(request.user, super().get_queryset(request))

    def _visible_or_404(self, request, object_id):
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404("No such record, or it is outside what you can see.")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._visible_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class BreachedFilter(admin.SimpleListFilter):
    """Handoffs, or leads through their handoffs, that missed a milestone."""

    title = "breached"
    parameter_name = "breached"
    handoff_path = None  # None: the queryset is of handoffs; else the FK from Handoff

    def lookups(self, request, model_admin):
        return [("yes", "Breached"), ("unacknowledged", "Breached, not acknowledged"),
                ("no", "Never breached")]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("yes", "unacknowledged", "no"):
            return queryset
        condition = {"status": HandoffStatus.BREACHED}
        if value == "unacknowledged":
            condition["acknowledged_at__isnull"] = True
        if self.handoff_path is None:
            matched = queryset.filter(**condition)
            return queryset.exclude(status=HandoffStatus.BREACHED) if value == "no" else matched
        exists = Exists(Handoff.objects.filter(**{self.handoff_path: OuterRef("pk")}, **condition))
        return queryset.filter(~exists if value == "no" else exists)


class LeadBreachedFilter(BreachedFilter):
    handoff_path = "lead"


class DisputedFilter(admin.SimpleListFilter):
    """Rows whose lead has a quality dispute (open or any)."""

    title = "disputed"
    parameter_name = "disputed"
    lead_path = "pk"  # how to reach the lead's id from a row

    def lookups(self, request, model_admin):
        return [("open", "Open dispute"), ("any", "Ever disputed"), ("no", "Never disputed")]

    def queryset(self, request, queryset):
        value = self.value()
        if value not in ("open", "any", "no"):
            return queryset
        disputes = QualityDispute.objects.filter(feedback__lead_id=OuterRef(self.lead_path))
        if value == "open":
            disputes = disputes.filter(outcome=DisputeOutcome.OPEN)
        exists = Exists(disputes)
        return queryset.filter(~exists if value == "no" else exists)


class HandoffDisputedFilter(DisputedFilter):
    lead_path = "lead_id"


class FeedbackDisputedFilter(DisputedFilter):
    lead_path = "lead_id"


class PageAdmin(admin.ModelAdmin):
    """Set `page_view`, the view shown at the entry's list URL (a staticmethod for a plain
    view function), and optionally `visible_to`, (user) -> bool, who sees the entry and
    may open the page; without it Django's model permissions decide."""

    page_view = None
    visible_to = None

    def has_module_permission(self, request):
        if self.visible_to is None:
            return super().has_module_permission(request)
        return self.visible_to(request.user)

    def has_view_permission(self, request, obj=None):
        if self.visible_to is None:
            return super().has_view_permission(request, obj)
        return self.visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.page_view), name=name)]

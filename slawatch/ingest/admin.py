from django.contrib import admin, messages
from django.utils import timezone

from slawatch.ingest import selectors, services
from slawatch.ingest.models import CrmEvent, CrmEventStatus, PollCursor


class FailedFilter(admin.SimpleListFilter):
    title = "failures"
    parameter_name = "failed"

    def lookups(self, request, model_admin):
        return [("yes", "Has an error"), ("retrying", "Retrying"), ("no", "No error")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(error="")
        if self.value() == "retrying":
            return queryset.exclude(error="").filter(status=CrmEventStatus.PENDING)
        if self.value() == "no":
            return queryset.filter(error="")
        return queryset


@admin.register(CrmEvent)
class CrmEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "source", "status", "received_at", "processed_at", "attempts",
                    "domain_events", "short_error"]
    list_filter = ["source", "status", FailedFilter]
    search_fields = ["event_id", "body"]
    date_hierarchy = "received_at"
    readonly_fields = ["source", "event_id", "headers", "body", "received_at", "status",
                       "processed_at", "attempts", "next_attempt_at", "error", "domain_events"]
    actions = ["reprocess"]

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:80]

    @admin.action(description="Reprocess selected events", permissions=["change"])
    def reprocess(self, request, queryset):
        count = services.reprocess(queryset)
        self.message_user(request, f"{count} event(s) queued for processing again.",
                          messages.SUCCESS)

    def has_add_permission(self, request):
        return False  # events come from CRMs only


@admin.register(PollCursor)
class PollCursorAdmin(admin.ModelAdmin):
    list_display = ["stream", "first_sync", "position", "last_run_at", "last_error"]
    readonly_fields = ["first_sync", "waiting", "last_run_at", "last_error", "sync_stored",
                       "sync_total", "first_synced_at"]

    @admin.display(description="first sync")
    def first_sync(self, obj):
        """How far the first poll of this stream has got (it may take a while on a large
        portal: the CRM's API is rate-limited)."""
        if obj.first_synced_at:
            return f"done {timezone.localtime(obj.first_synced_at):%Y-%m-%d %H:%M}"
        if obj.sync_total:
            percent = 100 * obj.sync_stored // obj.sync_total
            return f"{obj.sync_stored:,} of {obj.sync_total:,} records ({percent} %)"
        return "not started" if obj.last_run_at is None else "starting"

    @admin.display(description="polled records waiting to be processed")
    def waiting(self, obj):
        return selectors.polled_events_waiting(obj.stream)

    def changelist_view(self, request, extra_context=None):
        waiting = selectors.polled_events_waiting_by_crm()
        if waiting:
            self.message_user(request, "Polled records waiting to be processed: " + ", ".join(
                f"{crm} {count:,}" for crm, count in sorted(waiting.items())), messages.INFO)
        return super().changelist_view(request, extra_context)

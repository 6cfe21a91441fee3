from django.contrib import admin, messages

from slawatch.ingest import services
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
    list_display = ["stream", "position", "last_run_at", "last_error"]
    readonly_fields = ["last_run_at", "last_error"]

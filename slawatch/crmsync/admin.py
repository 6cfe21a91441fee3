from django.contrib import admin, messages

from slawatch.crmsync.models import CrmWrite, WriteStatus
from slawatch.crmsync.outbox import crm_writes_retry


@admin.register(CrmWrite)
class CrmWriteAdmin(admin.ModelAdmin):
    """Every write toward the CRMs; a failed one says why and can be sent again."""

    list_display = ["created_at", "crm", "external_id", "kind", "values", "status", "attempts",
                    "last_status_code", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "crm", "kind"]
    search_fields = ["external_id", "last_error"]
    readonly_fields = [f.name for f in CrmWrite._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected failed writes again", permissions=["change"])
    def retry(self, request, queryset):
        count = crm_writes_retry(ids=queryset.filter(status=WriteStatus.FAILED)
                                 .values_list("pk", flat=True))
        self.message_user(request, f"{count} write(s) queued again.", messages.SUCCESS)

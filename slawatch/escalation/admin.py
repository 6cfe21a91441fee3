from django.contrib import admin

from slawatch.escalation.models import Escalation


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["kind", "handoff", "step", "occurrence", "recipient", "channel", "status",
                    "attempts", "sent_at", "created_at"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["recipient", "handoff__lead__email", "last_error"]
    list_select_related = ["handoff__lead"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Escalation._meta.concrete_fields]

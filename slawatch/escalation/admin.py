from django.contrib import admin, messages

from slawatch.access import scoping
from slawatch.access.admin_mixins import ScopedAdminMixin
from slawatch.escalation.models import Escalation, EscalationAttempt, SlackAction
from slawatch.escalation.services import escalations_retry


class AttemptInline(admin.TabularInline):
    model = EscalationAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "status_code",
                       "retry_after_seconds", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.escalations_for)  # a manager: the team's
    list_display = ["kind", "handoff", "step", "occurrence", "recipient", "channel", "status",
                    "attempts", "next_attempt_at", "sent_at", "short_error", "created_at"]
    list_filter = ["status", "channel", "kind", "held_for_digest"]
    search_fields = ["recipient", "handoff__lead__email", "last_error"]
    list_select_related = ["handoff__lead", "handoff__rep"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Escalation._meta.concrete_fields]
    inlines = [AttemptInline]
    actions = ["retry"]

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Retry the selected failed escalations")
    def retry(self, request, queryset):
        count = escalations_retry(ids=queryset.values_list("pk", flat=True))
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"{count} failed escalation(s) queued again "
                                   "(only failed ones are retried).", level)


@admin.register(SlackAction)
class SlackActionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action_id", "slack_user_id", "person", "handoff", "outcome"]
    list_filter = ["action_id"]
    readonly_fields = [f.name for f in SlackAction._meta.concrete_fields]

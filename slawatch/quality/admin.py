from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from slawatch.quality.models import Commitment, LeadFeedback, QualityDispute


@admin.register(LeadFeedback)
class LeadFeedbackAdmin(SimpleHistoryAdmin):
    list_display = ["lead", "verdict", "reason", "rating", "given_by", "created_at"]
    list_filter = ["verdict", "reason", "rating"]
    search_fields = ["lead__email", "lead__name", "lead__external_id", "comment"]
    list_select_related = ["lead", "given_by"]
    date_hierarchy = "created_at"


@admin.register(QualityDispute)
class QualityDisputeAdmin(SimpleHistoryAdmin):
    list_display = ["feedback", "outcome", "filed_by", "resolved_by", "created_at", "resolved_at"]
    list_filter = ["outcome"]
    search_fields = ["feedback__lead__email", "feedback__lead__name", "reason"]
    list_select_related = ["feedback__lead", "filed_by", "resolved_by"]
    date_hierarchy = "created_at"


@admin.register(Commitment)
class CommitmentAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "rep", "team", "year", "quarter", "leads_committed"]
    list_filter = ["year", "quarter", "team"]
    list_select_related = ["rep", "team"]

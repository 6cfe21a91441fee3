from django.contrib import admin, messages

from slawatch.crmsync.models import CrmOwner, CrmWrite, OwnerState, WriteStatus
from slawatch.crmsync.owners import person_create_from_owner
from slawatch.crmsync.outbox import crm_writes_retry
from slawatch.leads.owners import OwnerIdTaken


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


@admin.register(CrmOwner)
class CrmOwnerAdmin(admin.ModelAdmin):
    """What the last owner sync saw: unmatched owners wait for a person, conflicts for a
    human decision (the sync never moves an id)."""

    list_display = ["name", "email", "crm", "owner_id", "state", "person", "note", "seen_at"]
    list_filter = ["state", "crm"]
    search_fields = ["name", "email", "owner_id"]
    readonly_fields = [f.name for f in CrmOwner._meta.fields]
    actions = ["create_person"]

    def has_add_permission(self, request):
        return False

    def has_create_person_permission(self, request):
        """Creating people with CRM ids is configuring people (RevOps), not only keeping
        this list: change here and the people permissions the action uses."""
        user = request.user
        return self.has_change_permission(request) and all(
            user.has_perm(p) for p in ("people.add_person", "people.change_person",
                                       "people.add_crmidentity"))

    @admin.action(description="Create a person (rep) for each selected unmatched owner",
                  permissions=["create_person"])
    def create_person(self, request, queryset):
        created = []
        for owner in queryset.filter(state=OwnerState.UNMATCHED):
            try:  # each owner all or nothing (the service's transaction)
                created.append(person_create_from_owner(owner=owner))
            except OwnerIdTaken as exc:  # given to someone since the sync
                self.message_user(request, f"{owner} ({owner.owner_id}): no person created: "
                                  + " ".join(exc.messages), messages.ERROR)
        self.message_user(request, f"{len(created)} person(s) created: "
                          + ", ".join(p.name for p in created), messages.SUCCESS)

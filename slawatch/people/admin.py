from django.contrib import admin

from slawatch.access import scoping
from slawatch.access.admin_mixins import ScopedAdminMixin
from slawatch.leads.owners import crm_identity_delete, crm_identity_save
from slawatch.people.models import Calendar, CrmIdentity, Person, Team


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open", "country"]
    list_filter = ["always_open", "time_zone"]
    search_fields = ["name"]


class MemberInline(admin.TabularInline):
    model = Person
    fields = ["name", "email", "role", "is_active"]
    extra = 0
    show_change_link = True


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "escalation_contact", "slack_channel"]
    search_fields = ["name"]
    autocomplete_fields = ["manager", "escalation_contact", "last_routed_to"]
    inlines = [MemberInline]


class CrmIdentityInline(admin.TabularInline):
    model = CrmIdentity
    extra = 1


@admin.register(Person)
class PersonAdmin(ScopedAdminMixin, admin.ModelAdmin):
    scope = staticmethod(scoping.people_for)  # a manager: the team; RevOps, marketing: all
    list_display = ["name", "email", "role", "team", "time_zone", "slack_user_id", "is_active"]
    list_filter = ["role", "team", "is_active"]
    search_fields = ["name", "email", "slack_user_id", "crm_identities__owner_id"]
    list_select_related = ["team"]
    autocomplete_fields = ["team", "user"]
    inlines = [CrmIdentityInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not CrmIdentity:
            return super().save_formset(request, form, formset, change)
        # Through the mapping service, so leads waiting on these owner ids get their clock.
        for identity in formset.save(commit=False):
            crm_identity_save(identity=identity)
        for identity in formset.deleted_objects:
            crm_identity_delete(identity=identity)


@admin.register(CrmIdentity)
class CrmIdentityAdmin(admin.ModelAdmin):
    list_display = ["owner_id", "crm", "person"]
    list_filter = ["crm"]
    search_fields = ["owner_id", "person__name"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]

    def save_model(self, request, obj, form, change):
        crm_identity_save(identity=obj)

    def delete_model(self, request, obj):
        crm_identity_delete(identity=obj)

    def delete_queryset(self, request, queryset):
        for identity in queryset:
            crm_identity_delete(identity=identity)

from django.contrib import admin
from django.urls import path

from slawatch.whatif.models import WhatIf
from slawatch.whatif.views import may_use, page


@admin.register(WhatIf)
class WhatIfAdmin(admin.ModelAdmin):
    """Lists the what-if page in the admin index for managers and RevOps."""

    def has_module_permission(self, request):
        return may_use(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [path("", self.admin_site.admin_view(page), name="whatif_whatif_changelist")]

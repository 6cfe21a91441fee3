from django.contrib import admin

from slawatch.access.admin_mixins import PageAdmin
from slawatch.whatif.models import WhatIf
from slawatch.whatif.views import may_use, page


@admin.register(WhatIf)
class WhatIfAdmin(PageAdmin):
    """Lists the what-if page in the admin index for managers and RevOps."""

    page_view = staticmethod(page)
    visible_to = staticmethod(may_use)

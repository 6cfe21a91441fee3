from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SlawatchAdminConfig(admin_apps.AdminConfig):
    """Django's admin with slawatch's site: its name in the header, a home page per role."""

    default = False
    default_site = "slawatch.home.site.SlawatchAdminSite"


class HomeConfig(AppConfig):
    default = True
    name = "slawatch.home"
    verbose_name = "Home pages"

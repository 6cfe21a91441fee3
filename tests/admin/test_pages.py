"""Admin index entries that are pages (access.admin_mixins.PageAdmin): the SLA board, the
reports dashboard and what-if. One URL each, nothing to add, change or delete."""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from slawatch.leads.models import SlaBoard
from slawatch.reports.models import Report
from slawatch.whatif.models import WhatIf

PAGES = [(SlaBoard, "/admin/leads/slaboard/"), (Report, "/admin/reports/report/"),
         (WhatIf, "/admin/whatif/whatif/")]


@pytest.mark.parametrize("model, url", PAGES)
def test_a_page_entry_is_one_url_and_offers_no_writes(admin_client, model, url):
    opts = model._meta
    assert reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist") == url
    for view in ("add", "change", "delete", "history"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}",
                    args=[] if view == "add" else [1])
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url + "add/").status_code == 404
    request = admin_client.get(url).wsgi_request
    model_admin = admin.site.get_model_admin(model)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_index_lists_each_page_without_an_add_link(admin_client):
    index = admin_client.get("/admin/").content.decode()
    for _model, url in PAGES:
        assert f'href="{url}"' in index
        assert f'href="{url}add/"' not in index

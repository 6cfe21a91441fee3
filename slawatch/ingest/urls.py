from django.urls import path

from slawatch.ingest import views

urlpatterns = [
    path("webhooks/hubspot/", views.hubspot_webhook, name="webhook-hubspot"),
    path("webhooks/salesforce/", views.salesforce_webhook, name="webhook-salesforce"),
    path("webhooks/pipedrive/", views.pipedrive_webhook, name="webhook-pipedrive"),
    path("webhooks/events/", views.generic_webhook, name="webhook-events"),
]

from django.urls import path

from slawatch.demo import views

app_name = "demo"
urlpatterns = [
    path("", views.index, name="index"),
    path("status.json", views.status, name="status"),
    path("slack-sink/", views.slack_sink_messages, name="slack-messages"),
    path("slack-sink/webhook/<slug:name>", views.slack_webhook, name="slack-webhook"),
    path("slack-sink/<str:method>", views.slack_api, name="slack-api"),
]

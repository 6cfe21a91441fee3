from django.urls import path

from slawatch.escalation.views import slack_interactions

urlpatterns = [
    path("slack/interactions/", slack_interactions, name="slack-interactions"),
]

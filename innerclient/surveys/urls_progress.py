"""The response-rate page of a cycle and its "send reminder now" action (namespace ``org``)."""

from django.urls import path

from innerclient.surveys.views import progress

urlpatterns = [
    path("<int:pk>/progress/", progress.cycle_progress, name="cycle_progress"),
    path("<int:pk>/remind/", progress.cycle_remind_now, name="cycle_remind_now"),
]

"""Public pages of action plans for raters (namespace ``changes``, under /changes/)."""

from django.urls import path

from innerclient.actions import views

urlpatterns = [
    path("", views.for_rater, name="for_rater"),
]

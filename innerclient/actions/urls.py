"""URLs of innerclient.actions (namespace ``org``, under /o/<slug>/)."""

from django.urls import path

from innerclient.actions import views

urlpatterns = [
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("actions/export.xlsx", views.action_export, name="action_export"),
]

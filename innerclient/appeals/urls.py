"""URLs of innerclient.appeals (namespace ``org``, under /o/<slug>/)."""

from django.urls import path

from innerclient.appeals import views

urlpatterns = [
    path("appeals/", views.appeal_list, name="appeal_list"),
    path("appeals/new/", views.appeal_create, name="appeal_create"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal_detail"),
    path("bonus/", views.bonus, name="bonus"),
    path("bonus/export.xlsx", views.bonus_export, name="bonus_export"),
]

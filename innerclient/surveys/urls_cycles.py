"""Evaluation cycles and criteria sets, under /o/<org_slug>/cycles/ (namespace ``org``)."""

from django.urls import path

from innerclient.surveys.views import cycles

urlpatterns = [
    path("", cycles.cycle_list, name="cycle_list"),
    path("new/", cycles.cycle_create, name="cycle_create"),
    path("<int:pk>/", cycles.cycle_detail, name="cycle_detail"),
    path("<int:pk>/edit/", cycles.cycle_edit, name="cycle_edit"),
    path("<int:pk>/raters/", cycles.cycle_assignments, name="cycle_assignments"),
    path("<int:pk>/raters/edit/", cycles.cycle_assignments_edit, name="cycle_assignments_edit"),
    path("<int:pk>/to/<str:to>/", cycles.cycle_transition, name="cycle_transition"),
    path("criteria/", cycles.criteria_list, name="criteria_list"),
    path("criteria/new/", cycles.criteria_create, name="criteria_create"),
    path("criteria/<int:pk>/", cycles.criteria_edit, name="criteria_edit"),
]

"""Results pages (namespace ``org``, under /o/<slug>/)."""

from django.urls import path

from innerclient.results import views

urlpatterns = [
    path("cycles/<int:pk>/results/", views.cycle_results, name="cycle_results"),
    path(
        "cycles/<int:pk>/results/department/<int:department_pk>/",
        views.department_result,
        name="department_result",
    ),
    path("cycles/<int:pk>/results/recompute/", views.results_recompute, name="results_recompute"),
    path("methodology/", views.methodology, name="methodology"),
]

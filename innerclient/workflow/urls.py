"""Under /o/<org_slug>/cycles/ (namespace ``org``), listed before the surveys' cycle URLs: the
"Publish" step keeps the transitions' URL, ``<pk>/to/published/``, so ``org:cycle_transition``
with ``to="published"`` reverses to this view."""

from django.urls import path

from innerclient.workflow import views

urlpatterns = [
    path("<int:pk>/to/published/", views.cycle_publish, name="cycle_publish"),
]

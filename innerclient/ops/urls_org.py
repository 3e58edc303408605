"""Operations pages inside an organization (namespace ``org``, under /o/<org_slug>/)."""

from django.urls import path

from innerclient.ops import views

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
]

"""Operations endpoints at the site root: the health check for monitors and load balancers."""

from django.urls import path

from innerclient.ops import views

urlpatterns = [
    path("healthz", views.health_view, name="health"),
]

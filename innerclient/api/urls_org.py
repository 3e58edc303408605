"""The coordinator's API token page, under /o/<org_slug>/ (listed in innerclient/urls.py)."""

from django.urls import path

from innerclient.api import views

urlpatterns = [
    path("api-tokens/", views.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
]

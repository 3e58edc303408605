from django.contrib.auth import views as auth_views
from django.urls import include, path

from innerclient.accounts.views import SignInView
from innerclient.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("organizations/", core_views.organization_list, name="organization_list"),
    path("organizations/new/", core_views.organization_create_view, name="organization_create"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/<slug:org_slug>/", include(("innerclient.org.urls", "org"))),
    # The rater's questionnaire: reached by a personal link, no account needed.
    # "What we changed": action plans shown to raters (innerclient.actions). Under /r/ because
    # the rater's cookie is scoped to that path.
    path("r/changes/", include(("innerclient.actions.urls_public", "changes"))),
    path("r/", include(("innerclient.surveys.urls_rater", "rater"))),
    # The REST API and its OpenAPI schema (innerclient.api).
    path("api/", include("innerclient.api.urls")),
    # Health and other operations endpoints (innerclient.ops).
    path("", include("innerclient.ops.urls")),
]

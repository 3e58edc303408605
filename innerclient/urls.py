from django.contrib.auth import views as auth_views
from django.urls import include, path

from innerclient.accounts.forms import SignInForm
from innerclient.core import views as core_views

# Everything under /o/<org_slug>/, in one namespace ``org``; each view resolves the organization
# through org_access. The project lists every app's pages here, so no app includes another's.
org_patterns = [
    # The organization: structure, people, imports, the interaction map, members, audit log
    path("", include("innerclient.org.urls")),
    # Publishing a cycle (innerclient.workflow): first, as it shares the surveys' transition URL
    path("cycles/", include("innerclient.workflow.urls")),
    # Evaluation cycles (innerclient.surveys)
    path("cycles/", include("innerclient.surveys.urls_cycles")),
    path("cycles/", include("innerclient.surveys.urls_progress")),
    # Results and the methodology (innerclient.results)
    path("", include("innerclient.results.urls")),
    # Dashboards, department cards, PDFs and exports (innerclient.reports)
    path("", include("innerclient.reports.urls")),
    # Action plans (innerclient.actions)
    path("", include("innerclient.actions.urls")),
    # Appeals and bonus multipliers (innerclient.appeals)
    path("", include("innerclient.appeals.urls")),
    # The Regulation document (innerclient.regulation)
    path("", include("innerclient.regulation.urls")),
    # Background jobs and their failures (innerclient.ops)
    path("", include("innerclient.ops.urls_org")),
    # API tokens for integrations (innerclient.api)
    path("", include("innerclient.api.urls_org")),
]

urlpatterns = [
    path("", core_views.home, name="home"),
    path("organizations/", core_views.organization_list, name="organization_list"),
    path("organizations/new/", core_views.organization_create_view, name="organization_create"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/<slug:org_slug>/", include((org_patterns, "org"))),
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

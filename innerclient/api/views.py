"""The coordinator's page for API tokens, and the API's JSON 404 for unknown paths."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from innerclient.api.errors import error_response
from innerclient.api.forms import ApiTokenForm
from innerclient.api.models import ApiToken
from innerclient.api.services import api_token_create, api_token_revoke
from innerclient.core.permissions import Capability, org_access


@login_required
@never_cache  # the page that shows a new secret must not be kept by any cache
@require_http_methods(["GET", "POST"])
def api_tokens(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = api_token_create(
                actor=request.user,
                organization=access.organization,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # Rendered in this response, not redirected with a message: the secret is never
            # stored anywhere, not even in the session.
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(organization=access.organization).select_related("created_by")
    return render(
        request,
        "api/tokens.html",
        {
            "org": access.organization,
            "nav": "api_tokens",
            "form": form,
            "created": created,
            "tokens": tokens,
        },
    )


@login_required
@require_POST
def api_token_revoke_view(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    token = get_object_or_404(ApiToken, organization=access.organization, pk=pk)
    if api_token_revoke(actor=request.user, token=token):
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("org:api_tokens", org_slug)


def api_view(view):
    """Wrap each ninja URL view: English messages (from services too), and a JSON 405.

    ninja answers a wrong method with Django's empty 405; LocaleMiddleware would otherwise
    give services' messages in the browser's language.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with translation.override("en"):
            response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return error_response(
                405,
                "method_not_allowed",
                f"Method {request.method} is not allowed here.",
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return wrapper


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return error_response(404, "not_found", "No such API endpoint. See /api/docs.")

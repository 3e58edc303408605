"""The interactive docs page (Swagger UI) served without any CDN.

ninja renders its Swagger page from a CDN unless "ninja" is in INSTALLED_APPS. Instead of
touching settings, this page is rendered from our own template and its three assets are served
from the installed ninja package by ``asset`` below, with a whitelist of names.
"""

import mimetypes
from pathlib import Path

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from ninja.openapi.docs import DocsBase

ASSET_DIR = Path(ninja.__file__).parent / "static" / "ninja"
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js", "favicon.png"})


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            # Swagger UI's default sends the schema to validator.swagger.io for a badge.
            "validatorUrl": None,
        }
        return render(request, "api/docs.html", {"api": api, "swagger_settings": settings})


@require_GET
@cache_control(public=True, max_age=86400)
def asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in ASSETS or not (ASSET_DIR / name).is_file():
        raise Http404
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)

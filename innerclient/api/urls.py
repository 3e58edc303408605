"""The REST API (mounted at /api/): schema at /api/openapi.json, docs at /api/docs."""

from django.urls import include, path, re_path

from innerclient.api import docs, views
from innerclient.api.api import api

_patterns, _app_name, _namespace = api.urls
# ninja's root view is an HTML 404 (or a redirect in DEBUG); ninja reverses its name to build
# the schema's paths, so the name stays and the view answers with the JSON 404.
_patterns = [
    path("", views.not_found, name="api-root") if getattr(p, "name", None) == "api-root" else p
    for p in _patterns
]

for _pattern in _patterns:
    _pattern.callback = views.api_view(_pattern.callback)

urlpatterns = [
    path("docs/assets/<str:name>", docs.asset, name="api_docs_asset"),
    path("", include((_patterns, _app_name), namespace=_namespace)),
    # Anything else under /api/ is a JSON 404, never an HTML page or a slash redirect.
    re_path(r"", views.not_found),
]

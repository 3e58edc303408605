"""URLs of innerclient.reports (namespace ``org``, under /o/<slug>/)."""

urlpatterns: list = []

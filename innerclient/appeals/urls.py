"""URLs of innerclient.appeals (namespace ``org``, under /o/<slug>/)."""

urlpatterns: list = []

"""URLs of innerclient.regulation (namespace ``org``, under /o/<slug>/)."""

urlpatterns: list = []

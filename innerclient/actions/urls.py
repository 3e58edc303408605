"""URLs of innerclient.actions (namespace ``org``, under /o/<slug>/)."""

urlpatterns: list = []

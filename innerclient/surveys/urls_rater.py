"""URL patterns; owned by the feature's module."""

urlpatterns: list = []

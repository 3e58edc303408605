"""Public pages of action plans for raters (namespace ``changes``, under /changes/)."""

urlpatterns: list = []

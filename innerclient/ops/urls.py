"""Operations endpoints: health (mounted at the site root)."""

urlpatterns: list = []

from innerclient.core.models import Membership


def organizations(request):
    """The organization switcher in the header: the user's memberships and the current one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = list(
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name")
    )
    current = None
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("org_slug") if match else None
    for membership in memberships:
        if membership.organization.slug == slug:
            current = membership
    return {"user_memberships": memberships, "current_membership": current}

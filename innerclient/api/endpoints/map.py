"""The interaction map: client → provider links."""

from ninja import Query, Router

from innerclient.api.auth import api_access
from innerclient.api.errors import ERROR_RESPONSES
from innerclient.api.models import Scope
from innerclient.api.schemas import Id, LinkPage, PageParams, paginate
from innerclient.org.models import InteractionLink

router = Router(tags=["map"])


def link_data(link: InteractionLink) -> dict:
    return {
        "id": link.pk,
        "client_id": link.client_id,
        "client_code": link.client.code,
        "provider_id": link.provider_id,
        "provider_code": link.provider.code,
        "services": link.services,
        "weight": float(link.weight),
        "volume": link.volume,
        "source": link.source,
    }


@router.get(
    "/map/links",
    response={200: LinkPage, **ERROR_RESPONSES},
    url_name="link_list",
    summary="List client → provider links",
)
def link_list(
    request,
    page: Query[PageParams],
    client_id: Query[Id | None] = None,
    provider_id: Query[Id | None] = None,
):
    access = api_access(request, Scope.MAP_READ)
    links = (
        InteractionLink.objects.filter(organization=access.organization)
        .select_related("client", "provider")
        .order_by("id")
    )
    if client_id is not None:
        links = links.filter(client_id=client_id)
    if provider_id is not None:
        links = links.filter(provider_id=provider_id)
    return paginate(links, page, link_data)

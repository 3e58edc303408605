"""The API's routers, one module per area; ``innerclient.api.api`` mounts them."""

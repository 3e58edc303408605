"""Access rules for operations pages (innerclient/ops/urls.py and urls_org.py).

The health check is public (monitors have no account) and shows no organization's data;
the background jobs page belongs to the coordinator.
"""

from tests.test_access_matrix import COORD, Rule

ORG_RULES = {
    "org:jobs": Rule(COORD),
}

PUBLIC_URLS = {"health"}

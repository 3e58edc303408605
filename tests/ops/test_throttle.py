"""Invalid rater links are counted per client; too many get 429; valid links never count."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from innerclient.ops import throttle
from innerclient.ops.models import CacheEntry
from tests.surveys.factories_rater import rater_world

pytestmark = pytest.mark.django_db

BAD = "/r/00000000-0000-4000-8000-000000000000/not-the-token/"


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.INNERCLIENT_LINK_ATTEMPTS_MAX = 5
    settings.INNERCLIENT_LINK_ATTEMPTS_WINDOW = 600


@pytest.fixture
def world():
    return rater_world(raters=2, providers=1)


def _from(ip: str, **extra) -> Client:
    return Client(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en", **extra)


def test_too_many_invalid_links_get_429_with_a_clear_page():
    attacker = _from("203.0.113.5")
    for _ in range(5):
        assert attacker.get(BAD).status_code == 404
    refused = attacker.get(BAD)
    assert refused.status_code == 429
    assert "Too many links that do not work" in refused.text
    assert "wait 10 minutes" in refused.text
    assert 590 <= int(refused["Retry-After"]) <= 600
    assert refused["Cache-Control"] == "no-store"


def test_malformed_links_count_too():
    attacker = _from("203.0.113.6")
    for path in ["/r/x/", "/r/123/abc/", "/r/not-a-uuid/token/", "/r/a", "/r/b/c/d/"]:
        assert attacker.get(path).status_code == 404
    assert attacker.get("/r/anything/").status_code == 429


def test_valid_links_never_count(world):
    rater = _from("198.51.100.7")
    for _ in range(12):
        assert rater.get(world.url(0)).status_code == 302
        assert rater.get(world.url(1)).status_code == 302
    assert rater.get(reverse("rater:home")).status_code == 200


def test_behind_one_office_address_a_valid_link_works_after_many_invalid_ones(world, settings):
    """Behind a corporate NAT one colleague's typos must not lock the whole office out."""
    settings.INNERCLIENT_LINK_ATTEMPTS_MAX = 20
    office = "198.51.100.99"
    typist = _from(office)
    statuses = [typist.get(BAD).status_code for _ in range(25)]
    assert statuses[:20] == [404] * 20 and statuses[20:] == [429] * 5
    rater = _from(office)
    opened = rater.get(world.url())
    assert opened.status_code == 302 and opened.url == reverse("rater:home")
    assert rater.get(opened.url).status_code == 200
    assert typist.get(BAD).status_code == 429
    truncated = world.url()[:-3] + "/"  # most of a real token is still not a valid link
    assert typist.get(truncated).status_code == 429


def test_a_valid_link_for_a_closed_cycle_is_not_refused_either(settings):
    closed = rater_world(status="closed")
    client = _from("198.51.100.98")
    for _ in range(6):
        client.get(BAD)
    assert client.get(BAD).status_code == 429
    assert client.get(closed.url()).status_code == 302


def test_a_closed_cycles_valid_link_does_not_count():
    closed = rater_world(status="closed")
    rater = _from("198.51.100.8")
    for _ in range(8):
        assert rater.get(closed.url()).status_code == 302  # the closed page is token-free
    assert rater.get(closed.url()).status_code == 302


def test_valid_links_from_other_clients_still_work_while_one_is_refused(world):
    attacker = _from("203.0.113.9")
    for _ in range(6):
        attacker.get(BAD)
    assert attacker.get(BAD).status_code == 429
    rater = _from("198.51.100.10")
    assert rater.get(world.url()).status_code == 302
    assert rater.get(reverse("rater:home")).status_code == 200


def test_a_rater_who_already_opened_his_link_continues_from_a_refused_network(world):
    """Only link attempts are refused; the token-free pages behind the cookie never are."""
    colleague = _from("192.0.2.20")
    assert colleague.get(world.url()).status_code == 302
    attacker = _from("192.0.2.20")
    for _ in range(5):
        attacker.get(BAD)
    assert attacker.get(BAD).status_code == 429
    assert colleague.get(reverse("rater:home")).status_code == 200
    assert colleague.get(reverse("rater:step", args=[1])).status_code == 200
    assert colleague.get(reverse("changes:for_rater")).status_code == 200
    # His personal link opens too: a valid signature is never refused.
    assert colleague.get(world.url()).status_code == 302


def test_the_window_expires(world, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    attacker = _from("203.0.113.11")
    for _ in range(5):
        attacker.get(BAD)
    assert attacker.get(BAD).status_code == 429
    now[0] += 599
    assert attacker.get(BAD).status_code == 429
    now[0] += 2
    assert attacker.get(BAD).status_code == 404  # a fresh window: the first failure of it
    assert attacker.get(world.url()).status_code == 302


def test_failures_spread_over_windows_do_not_add_up(monkeypatch):
    now = [2_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    client = _from("203.0.113.12")
    for _ in range(4):
        client.get(BAD)
    now[0] += 601
    for _ in range(4):
        assert client.get(BAD).status_code == 404


def test_forwarded_for_is_ignored_without_trusted_proxies():
    for i in range(5):
        _from("127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").get(BAD)
    # Everyone behind the same address: the spoofed header changed nothing.
    assert _from("127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9").get(BAD).status_code == 429


def test_with_one_trusted_proxy_the_client_is_the_last_forwarded_address(settings):
    settings.INNERCLIENT_TRUSTED_PROXIES = 1
    for _ in range(5):
        # The client wrote the first address itself; nginx appended the real one.
        _from("127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.30").get(BAD)
    assert _from("127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.30").get(BAD).status_code == 429
    other = _from("127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.31")
    assert other.get(BAD).status_code == 404


def test_client_ip_with_two_trusted_proxies(rf, settings):
    settings.INNERCLIENT_TRUSTED_PROXIES = 2
    request = rf.get("/", HTTP_X_FORWARDED_FOR="spoof, 203.0.113.40, 10.0.0.2")
    assert throttle.client_ip(request) == "203.0.113.40"
    short = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.41")
    assert throttle.client_ip(short) == "203.0.113.41"


def test_other_pages_are_never_throttled():
    attacker = _from("203.0.113.50")
    for _ in range(6):
        attacker.get(BAD)
    assert attacker.get(reverse("login")).status_code == 200
    assert attacker.get("/no-such-page/").status_code == 404


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "innerclient_cache",
        }
    }
)
def test_the_production_database_cache_counts_across_processes_and_stores_no_address():
    attacker = _from("203.0.113.60")
    for _ in range(5):
        attacker.get(BAD)
    assert attacker.get(BAD).status_code == 429
    keys = list(CacheEntry.objects.values_list("cache_key", flat=True))
    assert len(keys) == 1
    assert "203.0.113.60" not in keys[0]

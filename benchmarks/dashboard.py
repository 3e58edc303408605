"""Benchmark: the company dashboard of the demo company (about 60 departments), warm cache.

Builds the demo company with its four published cycles in a scratch SQLite database (or
uses $DATABASE_URL if set and the demo exists there), then renders the dashboard of the
latest cycle with the Django test client as the coordinator, and prints the server time per
render (median and p95) and the queries per render. Usage::

    .venv/bin/python benchmarks/dashboard.py [--renders 50] [--reuse]

The goal is a median of at most 150 ms on a warm cache (charts cached, connection open).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = tempfile.mkdtemp(prefix="innerclient-bench-")
os.environ.setdefault("INNERCLIENT_DATA_DIR", SCRATCH)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innerclient.settings")
os.environ["DJANGO_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from innerclient.core.models import Membership, Organization, Role  # noqa: E402
from innerclient.reports.selectors import latest_published_cycle  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=50)
    args = parser.parse_args()

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(slug="demo").exists():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            call_command("demo_company", verbosity=0)
    print(
        f"database ready in {time.perf_counter() - started:.1f} s "
        f"({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})"
    )

    org = Organization.objects.get(slug="demo")
    cycle = latest_published_cycle(org.pk)
    coordinator = Membership.objects.filter(organization=org, role=Role.COORDINATOR).first().user
    client = Client(HTTP_ACCEPT_LANGUAGE="en", SERVER_NAME="localhost")
    client.force_login(coordinator)
    settings.ALLOWED_HOSTS = ["*"]
    url = reverse("org:results_dashboard", args=[org.slug, cycle.pk])
    from innerclient.org.models import Department

    departments = Department.objects.filter(organization=org).count()

    cold = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    print(f"first render (cold chart cache): {(time.perf_counter() - cold) * 1000:.0f} ms")

    for view, query in (
        ("dashboard", ""),
        ("dashboard, one division", "?division="),
    ):
        target = url
        if query:
            division = Department.objects.filter(organization=org, parent=None).first()
            target = f"{url}{query}{division.pk}"
        client.get(target)  # warm
        times = []
        queries = 0
        for _ in range(args.renders):
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = client.get(target)
                times.append((time.perf_counter() - t0) * 1000)
            queries = len(captured)
            assert response.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{view} ({departments} departments, {len(response.content) // 1024} KiB): "
            f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
            f"{queries} queries per render, {args.renders} renders"
        )


if __name__ == "__main__":
    main()

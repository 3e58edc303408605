"""Screenshots of the main pages of a running server, for looking at the design.

Usage: python scripts/screenshots.py [BASE_URL] [OUT_DIR]
(defaults: http://127.0.0.1:8000 and data/screenshots).
Signs in as the demo coordinator; takes each page at 375 and 1280 px wide, in Russian and English.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "data/screenshots")
PAGES = {
    "home": "/o/demo/",
    "tree": "/o/demo/structure/",
    "people": "/o/demo/people/",
    "map": "/o/demo/map/",
    "links": "/o/demo/map/links/",
    "imports": "/o/demo/imports/",
    "upload": "/o/demo/imports/new/departments/",
    "members": "/o/demo/members/",
    "audit": "/o/demo/audit/",
    "methodology": "/o/demo/methodology/",
}
# Only these pages when ONLY is set, e.g. ONLY=results,methodology
ONLY = {name for name in __import__("os").environ.get("ONLY", "").split(",") if name}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

OUT.mkdir(parents=True, exist_ok=True)
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    for language in ("ru", "en"):
        for width in (375, 1280):
            context = browser.new_context(viewport={"width": width, "height": 900})
            context.add_cookies([{"name": "django_language", "value": language, "url": BASE}])
            page = context.new_page()
            page.goto(f"{BASE}/accounts/login/")
            page.screenshot(path=OUT / f"login-{language}-{width}.png", full_page=True)
            page.fill("#id_username", "coordinator@demo.example")
            page.fill("#id_password", "demo-demo-2026")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            extra = {}
            page.goto(f"{BASE}/o/demo/structure/")
            dept_link = page.locator("a[href*='/departments/']").nth(3)
            if dept_link.count():
                extra["department"] = dept_link.get_attribute("href")
            page.goto(f"{BASE}/o/demo/cycles/")
            cycle_link = page.locator("a[href^='/o/demo/cycles/'][href$='/']").filter(has_text="Q")
            if cycle_link.count():
                results = cycle_link.first.get_attribute("href") + "results/"
                extra["results"] = results
                page.goto(BASE + results)
                drill = page.locator("[data-testid=results-table] a").first
                if drill.count():
                    extra["department-result"] = drill.get_attribute("href")
            for name, path in {**PAGES, **extra}.items():
                if ONLY and name not in ONLY:
                    continue
                page.goto(BASE + path)
                page.screenshot(path=OUT / f"{name}-{language}-{width}.png", full_page=False)
            context.close()
    browser.close()
print(f"screenshots in {OUT}")

"""PDF documents rendered by WeasyPrint from print templates (templates/pdf/).

Every PDF of the application goes through ``render_pdf``: A4, DejaVu fonts found by
fontconfig (Cyrillic included), a running header with the organization and the document's
name, "page X of Y" in the footer (CSS ``@page`` counters, see static/css/print.css).

Nothing is fetched from the network while rendering: stylesheets and images under
``STATIC_URL`` are read from disk (the collected static root, else the finders), ``data:``
URLs are decoded in place, and every other URL is refused.
"""

import contextlib
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

# A base URL that can never reach a network: relative and root-relative URLs in the
# templates resolve under it, and the fetcher maps it onto the static files on disk.
BASE_URL = "https://pdf.innerclient.invalid/"


class StaticOnlyFetcher:
    """Built lazily so that importing this module never loads WeasyPrint."""

    _instance = None

    @classmethod
    def get(cls):
        if cls._instance is None:
            from weasyprint.urls import URLFetcher, URLFetcherResponse

            class _Fetcher(URLFetcher):
                def fetch(self, url, headers=None):
                    if url.startswith("data:"):
                        return super().fetch(url, headers)
                    path = static_path(url)
                    if path is None:
                        raise ValueError(f"not fetched while rendering a PDF: {url[:200]}")
                    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, path.read_bytes(), headers={"Content-Type": content_type}
                    )

            cls._instance = _Fetcher(allowed_protocols=("https", "data"))
        return cls._instance


def static_path(url: str) -> Path | None:
    """The file on disk behind a static URL under ``BASE_URL``, or None."""
    if not url.startswith(BASE_URL):
        return None
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    path = unquote(urlsplit(url).path)
    if not path.startswith(prefix):
        return None
    name = path[len(prefix) :]
    if not name or ".." in Path(name).parts:
        return None
    candidates = []
    with contextlib.suppress(NotImplementedError):  # remote storages have no path
        candidates.append(Path(staticfiles_storage.path(name)))
    found = finders.find(name)
    if found:
        candidates.append(Path(found))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def page_counter_css() -> str:
    """The footer's "Page X of Y" as a CSS ``content`` value, in the active language."""
    template = _("Page {page} of {pages}")
    parts = []
    rest = template
    while rest:
        head, sep, tail = rest.partition("{")
        if head:
            parts.append(_css_string(head))
        if not sep:
            break
        name, _close, rest = tail.partition("}")
        if name in ("page", "pages"):
            parts.append(f"counter({name})")
        else:
            parts.append(_css_string("{" + name + "}"))
    return " ".join(parts) or 'counter(page) " / " counter(pages)'


def _css_string(text: str) -> str:
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:;-–—/()" else f"\\{ord(ch):x} " for ch in text
    )
    return f'"{escaped}"'


def _quiet_weasyprint() -> None:
    """WeasyPrint logs every layout step and every CSS property it does not support (the SVG
    styles matplotlib writes, among others) for each PDF; only its errors belong in our log."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)


def render_html(template_name: str, context: dict, *, request=None) -> str:
    """The print template as HTML (what ``render_pdf`` lays out), for tests and previews."""
    context = {"page_counter_css": page_counter_css(), **context}
    return render_to_string(template_name, context, request=request)


def render_pdf(template_name: str, context: dict, *, request=None) -> bytes:
    """Render a print template (extending pdf/base.html) to PDF bytes.

    The template receives ``context`` plus ``page_counter_css``; pdf/base.html expects
    ``document_title`` and ``org`` (an Organization or anything with ``name``) for the
    running header.
    """
    return html_to_pdf(render_html(template_name, context, request=request))


def html_to_pdf(html: str) -> bytes:
    """Lay out HTML (a rendered print template) as PDF, fetching only static files."""
    _quiet_weasyprint()
    from weasyprint import HTML

    document = HTML(
        string=html,
        base_url=BASE_URL,
        url_fetcher=StaticOnlyFetcher.get(),
        media_type="print",
    )
    return document.write_pdf()

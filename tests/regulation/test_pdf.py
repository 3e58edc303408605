"""The PDF infrastructure: A4, DejaVu fonts with extractable Cyrillic, the running header and
"page X of Y", static files read from disk and nothing fetched from the network."""

import re

import pytest
from django.template import engines
from django.utils import translation

from innerclient.regulation import pdf
from tests.regulation.pdftext import pdf_dictionaries, pdf_pages, pdf_text


class _Org:
    name = "ООО «Ромашка»"


def _long_document() -> bytes:
    paragraphs = "".join(
        f"<p>Абзац номер {i}: съешь же ещё этих мягких булок.</p>" for i in range(140)
    )
    template = engines["django"].from_string(
        '{% extends "pdf/base.html" %}{% block content %}<h1>Проверка печати</h1>'
        + paragraphs
        + "{% endblock %}"
    )
    html = template.render(
        {
            "org": _Org(),
            "document_title": "Тестовый документ",
            "page_counter_css": pdf.page_counter_css(),
        }
    )
    return pdf.html_to_pdf(html)


@pytest.fixture(scope="module")
def document():
    with translation.override("en"):
        return _long_document()


def test_pages_are_a4(document):
    boxes = re.findall(rb"/MediaBox\s*\[([\d. ]+)\]", pdf_dictionaries(document))
    assert boxes
    for box in boxes:
        _x, _y, width, height = (float(v) for v in box.split())
        assert round(width) == 595 and round(height) == 842  # 210 × 297 mm in points


def test_cyrillic_text_is_extractable_in_dejavu_fonts(document):
    text = pdf_text(document)
    assert "Проверка печати" in text
    assert "съешь же ещё этих мягких булок" in text
    fonts = set(re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([A-Za-z-]+)", pdf_dictionaries(document)))
    assert fonts and all(name.startswith(b"DejaVu") for name in fonts), fonts


def test_every_page_has_the_header_and_page_x_of_y(document):
    pages = pdf_pages(document)
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        flat = " ".join(page.split())
        assert "ООО «Ромашка» · Тестовый документ" in flat
        assert f"Page {number} of {len(pages)}" in flat


def test_page_counter_follows_the_active_language():
    with translation.override("en"):
        assert pdf.page_counter_css() == '"Page " counter(page) " of " counter(pages)'


def test_static_files_are_read_from_disk():
    path = pdf.static_path(pdf.BASE_URL + "static/css/print.css")
    assert path is not None and path.name == "print.css"
    assert "@page" in path.read_text()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/static/css/print.css",
        "http://169.254.169.254/latest/meta-data/",
        pdf.BASE_URL + "static/../../etc/passwd",
        pdf.BASE_URL + "media/secret.txt",
        "file:///etc/passwd",
    ],
)
def test_nothing_outside_the_static_files_is_fetched(url):
    assert pdf.static_path(url) is None
    with pytest.raises(ValueError):
        pdf.StaticOnlyFetcher.get().fetch(url)


def test_an_external_image_does_not_stop_the_rendering():
    template = engines["django"].from_string(
        '{% extends "pdf/base.html" %}{% block content %}<p>Текст</p>'
        '<img src="https://example.com/tracker.png" alt="">{% endblock %}'
    )
    html = template.render(
        {"org": _Org(), "document_title": "Т", "page_counter_css": pdf.page_counter_css()}
    )
    data = pdf.html_to_pdf(html)
    assert "Текст" in pdf_text(data)

"""Cell Markdown is rendered safely: no payload ever yields script, handlers or js: URLs."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from grid_app.grid import markdown
from grid_app.grid.markdown import render
from tests.conftest import HX

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<div hx-get="/sign-out" hx-trigger="load">x</div>',
    '<iframe src="https://example.org"></iframe>',
    "<style>body{display:none}</style>",
    '<form action="/sign-out" method="post"><button>x</button></form>',
    '[x](https://example.org "a" onmouseover=alert(1))',
    "<details open ontoggle=alert(1)>",
    "`<script>`alert(1)",
    "<<script>script>alert(1)<</script>/script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "form",
    "svg",
    "img",
    "math",
    "details",
    "object",
    "embed",
    "button",
    "input",
    "base",
    "link",
    "meta",
}


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def assert_inert(html: str) -> None:
    """Fail if the HTML holds anything that could run script or act for the reader."""
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in FORBIDDEN_TAGS, html
        for name, value in attrs:
            assert not name.startswith(("on", "hx-", "data-hx", "style")), html
            if name in ("href", "src", "action", "formaction"):
                url = "".join((value or "").split()).lower()
                assert url.startswith(ALLOWED_SCHEMES) or url.startswith(("/", "#")), html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_inert(payload):
    assert_inert(render(payload))


def test_markdown_still_renders_links_lists_and_emphasis():
    html = render("**Bold** and a [report](https://example.org/r)\n\n- one\n- two")
    assert "<strong>Bold</strong>" in html
    assert '<a href="https://example.org/r" rel="noopener noreferrer nofollow">report</a>' in html
    assert "<li>one</li>" in html


def test_top_level_headings_are_demoted_below_the_page_heading():
    assert render("# Big") == "<h3>Big</h3>\n"


def test_payloads_saved_into_a_cell_come_back_inert_on_the_page(client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["contributor"])
    text = "\n\n".join(PAYLOADS)
    saved = client.post_form(f"/cells/{cell_id}", {"text": text, "version": "1"}, headers=HX)
    assert saved.status_code == 200
    page = client.get(f"/grids/{grid.slug}").text
    cell_html = page[page.index(f'id="cell-{cell_id}"') :]
    # The author's text ends where the page's own "Show all" control begins.
    cell_html = cell_html[: cell_html.index('<details class="app-cell__more"')]
    assert_inert(cell_html)
    # The text is kept, as text, so the author can see and fix it.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in cell_html


def test_plain_text_drops_markdown_syntax_but_keeps_lists_and_link_addresses():
    text = "We **listen** first.\n\n- One *thing*\n- [Model](https://example.org/m)\n\n3. Third"
    assert markdown.plain(text) == (
        "We listen first.\n\n• One thing\n• Model (https://example.org/m)\n\n3. Third"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Monthly supervision",
        "  Two lines\nof text  \n\n\n\nand a second paragraph.  ",
        "Numbers 2024 and 3 items, all plain.",
        "",
        "Ends with a question? Yes.",
    ],
)
def test_plain_text_of_text_without_markdown_matches_the_parser(text):
    parsed = "\n\n".join(b.text for b in markdown.blocks(text))
    assert markdown.plain(text) == parsed

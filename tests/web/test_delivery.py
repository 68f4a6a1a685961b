"""Responses are compressed, and static files are addressed by content and cached for a year."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from flask import Flask

from grid_app.web.delivery import static_version
from tests.conftest import HX

STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"]+)"')
# The CSRF token a page carries is signed with the time, so it differs from second to second.
CSRF_TOKEN = re.compile(rb'(?<=name="csrf_token" value=")[^"]+|(?<="X-CSRFToken": ")[^"]+')


def same_page(first: bytes, second: bytes) -> bool:
    """Whether two renderings of a page are the same but for their CSRF tokens."""
    return CSRF_TOKEN.sub(b"", first) == CSRF_TOKEN.sub(b"", second)


def _demo_contributor(app, client) -> None:  # type: ignore[no-untyped-def]
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    signed_in = client.post_form(
        "/sign-in",
        {"email": "contributor@example.org", "password": app.config["DEMO_PASSWORD"]},
    )
    assert signed_in.status_code == 303


@pytest.mark.parametrize(
    ("accepted", "encoding", "decode"),
    [
        ("br, gzip, deflate, zstd", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
        ("identity", None, bytes),
    ],
)
def test_pages_are_compressed_as_the_browser_accepts(
    app, client, people, grid, accepted, encoding, decode
):
    client.sign_in(people["contributor"])
    plain = client.get(f"/grids/{grid.slug}")
    sent = client.get(f"/grids/{grid.slug}", headers={"Accept-Encoding": accepted})
    assert sent.status_code == 200
    assert sent.headers.get("Content-Encoding") == encoding
    assert "Accept-Encoding" in sent.headers["Vary"]
    assert same_page(decode(sent.data), plain.data)
    if encoding:
        assert len(sent.data) < len(plain.data) / 3
    # Still a page no cache may keep, compressed or not.
    assert sent.headers["Cache-Control"] == "no-store"


def test_htmx_fragments_and_streamed_downloads_are_compressed_too(app, client, people, grid):
    client.sign_in(people["contributor"])
    cell = grid.cells[("Social work", "Strategy")]
    fragment = client.get(f"/cells/{cell}/edit", headers={**HX, "Accept-Encoding": "br"})
    assert fragment.status_code == 200
    unpacked = brotli.decompress(fragment.data).decode()
    # The same editor as uncompressed (its form carries a fresh random key each time).
    plain_fragment = client.get(f"/cells/{cell}/edit", headers=HX).text
    assert unpacked.splitlines()[0] == plain_fragment.splitlines()[0]
    assert "<textarea" in unpacked and len(unpacked) == len(plain_fragment)
    history = client.get(f"/grids/{grid.slug}/history.csv", headers={"Accept-Encoding": "br"})
    assert history.headers["Content-Encoding"] == "br"
    unpacked = brotli.decompress(history.data)
    history.close()  # a streamed download holds its request open until closed
    plain = client.get(f"/grids/{grid.slug}/history.csv")
    assert unpacked == plain.data and unpacked.startswith(b"revision")
    plain.close()


def test_the_first_visit_to_the_demo_grid_transfers_under_100_kb(app, client):
    _demo_contributor(app, client)
    page = client.get("/", follow_redirects=True, headers={"Accept-Encoding": "br, gzip"})
    assert page.status_code == 200 and page.headers["Content-Encoding"] == "br"
    html = brotli.decompress(page.data).decode()
    assert "Grid for Supporting People" in html or "<table" in html
    total = len(page.data)
    links = STATIC_LINK.findall(html)
    assert len(links) >= 4  # stylesheets, scripts and the icon
    for link in links:
        asset = client.get(link.replace("&amp;", "&"), headers={"Accept-Encoding": "br, gzip"})
        assert asset.status_code == 200, link
        assert asset.headers.get("Content-Encoding") in ("br", None), link
        total += len(asset.get_data())
        asset.close()
    assert total < 100_000, f"{total:,} bytes"


def test_static_addresses_carry_a_content_hash_and_are_cached_for_a_year(app, client):
    html = client.get("/sign-in").text
    (stylesheet,) = [link for link in STATIC_LINK.findall(html) if link.startswith("/static/css/")]
    path, version = stylesheet.split("?v=")
    assert version == static_version(app, path.removeprefix("/static/"))
    cached = client.get(stylesheet)
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    cached.close()
    # Without the hash, or with an old one, the browser must ask again before reusing it.
    for address in (path, f"{path}?v=0123456789abcdef"):
        asked = client.get(address)
        assert asked.status_code == 200
        assert "immutable" not in asked.headers.get("Cache-Control", "")
        asked.close()


def test_a_changed_static_file_gets_a_new_address(tmp_path: Path):
    (tmp_path / "app.css").write_text("body { color: black }")
    app = Flask(__name__, static_folder=str(tmp_path))
    first = static_version(app, "app.css")
    (tmp_path / "app.css").write_text("body { color: navy }")
    second = static_version(app, "app.css")
    assert first and second and first != second
    assert static_version(app, "missing.css") is None
    assert static_version(app, "../app.css") is None

"""After an erasure, no page or download anyone can reach names the erased person."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

from flask import Flask

from grid_app import demo
from grid_app.auth.models import OPERATOR, User
from grid_app.extensions import db
from grid_app.people import erasure
from tests.conftest import Person

PASSWORD = "demo-password-1234"
ERASED_EMAIL = "manager@example.org"
ERASED_NAME = "Morgan Manager"
# Who signs in after the erasure: one person for each role the demo has.
READERS = {
    "contributor": "contributor@example.org",
    "manager": "ngozi.adeyemi@example.org",
    "facilitator": "facilitator@example.org",
    "admin": "admin@example.org",
}
# Links, htmx loads, and forms that only read (GET), as a person would follow them.
LINK = re.compile(r'(?:href|hx-get|<form method="get" action|formaction)="([^"]+)"')
# Leaving would end the crawl; static files name nobody.
SKIP = ("/sign-out", "/static/", "/sign-in")
MAX_PAGES = 450
VARIANTS_PER_PATH = 3


def readable(response) -> str:
    """The response as text, with XLSX and DOCX downloads unzipped."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return data.decode("utf-8", "replace")


def crawl(client) -> dict[str, str]:
    """Every page and download reachable by links from the grid list: url -> text."""
    found: dict[str, str] = {}
    queue = deque(["/"])
    variants: Counter[str] = Counter()
    while queue and len(found) < MAX_PAGES:
        url = queue.popleft()
        if url in found:
            continue
        response = client.get(url)
        text = readable(response)
        found[url] = text
        if response.status_code in (301, 302, 303) and response.location:
            queue.append(urlsplit(urljoin(url, response.location))._replace(fragment="").geturl())
            continue
        if "text/html" not in response.content_type:
            continue
        for raw in LINK.findall(text):
            target = urlsplit(urljoin(url, html.unescape(raw)))._replace(fragment="")
            if target.netloc and target.netloc != "localhost":
                continue
            path = target.path
            address = target._replace(scheme="", netloc="").geturl()
            if address in found or path.startswith(SKIP):
                continue
            if variants[path] >= VARIANTS_PER_PATH:
                continue
            variants[path] += 1
            queue.append(address)
    return found


def test_no_page_or_export_names_an_erased_person_for_anyone(app: Flask, new_client):
    with app.app_context():
        demo.load(PASSWORD)
        db.session.commit()
        erased = db.session.scalar(db.select(User).where(User.email == ERASED_EMAIL))
        assert erased is not None
        erasure.erase(OPERATOR, erased)
        db.session.commit()
        placeholder = erased.display_name
        readers = {
            role: Person(u.id, u.email, u.display_name)
            for role, address in READERS.items()
            if (u := db.session.scalar(db.select(User).where(User.email == address)))
        }
    visited: dict[str, set[str]] = {}
    for role, reader in readers.items():
        client = new_client()
        client.sign_in(reader, PASSWORD)
        pages = crawl(client)
        visited[role] = set(pages)
        for url, text in pages.items():
            lowered = text.lower()
            assert ERASED_EMAIL not in lowered, (role, url)
            assert ERASED_NAME.lower() not in lowered, (role, url)
            assert "morgan" not in lowered, (role, url)
        assert any(placeholder in text for text in pages.values()), role
    everything = {url for urls in visited.values() for url in urls}
    for kind in (
        "/history",
        "/revisions/compare",
        "/comments",
        "/dashboard",
        "/dashboard/report",
        "/activity",
        "/export/grid.xlsx",
        "/export/grid.csv",
        "/export/sharing-practice.docx",
        "/history.csv",
        "/flags/",
        "/notifications",
    ):
        assert any(kind in url for url in everything), kind
    assert any(url.startswith("/people/") for url in visited["admin"])
    assert any(url.startswith("/audit") for url in visited["admin"])

"""An anonymous contribution and its author are never linked: not on any page or export any
role can reach, not in the database, not in the logs.

A marker goes into an anonymous contribution and another into its author's profile. The
author also leaves ordinary traces (a comment, a cell edit, a named contribution, a consent),
so their name is all over the app. Then every role crawls every page it can reach.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections import deque
from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import inspect, select

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.web.privacy import AccessLogger, PrivateRequestFilter
from tests.conftest import GridRef, Person

ANON_MARK = "ANONMARK-7f3a"
PROFILE_MARK = "PROFILEMARK-91c2"
TITLE_MARK = "TITLEMARK-55e0"
PAGE_LIMIT = 400
LINK = re.compile(r'(?:href|hx-get)="(/[^"#]*)')
SKIP = ("/static/", "/sign-out")


def crawl(client, start: list[str]) -> dict[str, str]:
    """Every page and download reachable by following links from ``start``: url → text."""
    seen: dict[str, str] = {}
    queue = deque(start)
    while queue and len(seen) < PAGE_LIMIT:
        url = queue.popleft().replace("&amp;", "&")
        if url in seen or url.startswith(SKIP):
            continue
        response = client.get(url, follow_redirects=True)
        seen[url] = readable(response.data)
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(m for m in LINK.findall(seen[url]) if m not in seen)
    assert len(seen) < PAGE_LIMIT, "the crawl was cut short; raise PAGE_LIMIT"
    return seen


def readable(data: bytes) -> str:
    """A response's text; workbooks and documents are unzipped so their text is searched."""
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return data.decode("utf-8", "replace")


@pytest.fixture
def traces(app: Flask, new_client, people: dict[str, Person], grid: GridRef, caplog):
    """Everything the author and the others do, through the web, with every log line kept."""
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        author = db.session.get_one(User, people["other"].id)
        author.display_name = f"Olu {PROFILE_MARK} Other"
        db.session.commit()
    author_email = people["other"].email

    facilitator = new_client()
    facilitator.sign_in(people["facilitator"])
    created = facilitator.post_form(
        "/safe-space/new",
        {
            "title": f"Session {TITLE_MARK}",
            "starts_at": "2027-01-14T10:00",
            "retention_days": "90",
            "ground_rules": "- Be kind",
            "signposting": "- EAP",
            "invitees": f"{author_email}\ncontributor@example.org",
        },
    )
    session_url = created.headers["Location"].split("#")[0]

    author_client = new_client()
    author_client.sign_in(people["other"])
    cell = grid.cells[("Social work", "Evidence")]
    author_client.post_form(f"/cells/{cell}/comments", {"body": "A comment of mine"})
    author_client.post_form(f"{session_url}/accept", {})
    author_client.post_form(
        f"{session_url}/contributions", {"body": "My named words", "anonymous": "n"}
    )
    receipt_page = author_client.post_form(
        f"{session_url}/contributions",
        {"body": f"Something {ANON_MARK} happened", "anonymous": "y"},
    )
    assert receipt_page.status_code == 303
    assert author_client.get(receipt_page.headers["Location"]).status_code == 200
    assert facilitator.post_form(f"{session_url}/seal", {}).status_code == 303

    from grid_app.safe_space.models import Contribution, Theme

    with app.app_context():
        anonymous = db.session.scalar(select(Contribution).where(Contribution.anonymous.is_(True)))
        assert anonymous is not None
        key = anonymous.id
    facilitator.post_form(f"{session_url}/themes", {"name": "Being overlooked"})
    with app.app_context():
        theme_id = db.session.scalar(select(Theme.id))
        named = db.session.scalar(select(Contribution.id).where(Contribution.anonymous.is_(False)))
    facilitator.post_form(
        f"{session_url}/contributions/theme",
        {"contribution": [key, named], "theme": str(theme_id)},
    )
    drafted = facilitator.post_form(
        f"{session_url}/insights", {"theme": str(theme_id), "text": "Staff feel unheard"}
    )
    insight_url = drafted.headers["Location"]
    author_client.post_form(f"{insight_url}/consent", {"decision": "agree"})
    facilitator.post_form(f"{insight_url}/group-consent", {"note": "Show of hands"})
    promoted = facilitator.post_form(f"{insight_url}/promote", {"cell": str(cell)})
    assert promoted.status_code == 303
    return {
        "session_url": session_url,
        "key": key,
        "author_id": people["other"].id,
        "author_email": author_email,
        "caplog": caplog,
    }


def starts(session_url: str, grid: GridRef) -> list[str]:
    # The sharing-practice downloads are asked for through a form, so they are named here.
    return [
        "/",
        f"/grids/{grid.slug}",
        "/safe-space/",
        session_url,
        "/notifications",
        "/profile",
        f"/grids/{grid.slug}/export/sharing-practice.docx",
        f"/grids/{grid.slug}/export/sharing-practice.md",
    ]


@pytest.mark.parametrize("who", ["manager", "admin", "contributor-not-invited"])
def test_people_outside_the_session_find_nothing_of_it_anywhere(
    app, new_client, people, grid, traces, who
):
    client = new_client()
    client.sign_in(people["reader" if who == "contributor-not-invited" else who])
    pages = crawl(client, starts(traces["session_url"], grid))
    assert len(pages) > 30  # the crawl really went through the app
    for url, text in pages.items():
        assert ANON_MARK not in text, url
        assert TITLE_MARK not in text, url
        assert traces["key"] not in text, url


@pytest.mark.parametrize("who", ["facilitator", "other", "manager", "admin", "reader"])
def test_search_never_finds_what_was_said_in_a_session(new_client, people, grid, traces, who):
    """Contributions, themes and session titles are never searched, for anyone, not even
    their authors or the facilitator; the insight promoted into a cell is, as that cell."""
    client = new_client()
    client.sign_in(people[who])
    hx = {"HX-Request": "true"}
    for words in (ANON_MARK, TITLE_MARK, "named words", "overlooked", "happened"):
        for params in ({"q": words, "history": "y"}, {"q": words, "sort": "newest"}):
            page = client.get("/search", query_string=params)
            assert page.status_code == 200
            assert "app-result" not in page.text, (words, params)
        suggested = client.get("/search/suggest", query_string={"q": words}, headers=hx)
        assert 'app-search__suggestion"' not in suggested.text, words
        assert "Nothing matches" in suggested.text, words
    promoted = client.get("/search", query_string={"q": "unheard"}).text
    assert "Evidence for Social work" in promoted


@pytest.mark.parametrize("who", ["facilitator", "other", "contributor"])
def test_inside_the_session_the_anonymous_contribution_is_never_tied_to_its_author(
    app, new_client, people, grid, traces, who
):
    client = new_client()
    client.sign_in(people[who])
    session_url = traces["session_url"]
    if who == "contributor":
        client.post_form(f"{session_url}/accept", {})
    pages = crawl(client, [*starts(session_url, grid), f"{session_url}/summary.md?raw=1"])
    pattern = re.compile(rf'<li id="contribution-{traces["key"]}".*?</li>', re.S)
    found = 0
    for url, text in pages.items():
        if url.endswith("raw=1") and not text.startswith("<!doctype"):
            # The facilitator's export of what was said names nobody at all.
            found += ANON_MARK in text
            assert PROFILE_MARK not in text and "Olu" not in text, url
            continue
        rest = text
        for element in pattern.findall(text):
            found += 1
            for linked in (PROFILE_MARK, traces["author_email"], "<time", "Olu"):
                assert linked not in element, (url, linked)
            rest = rest.replace(element, "")
        assert ANON_MARK not in rest, url  # shown only inside its own, nameless element
    assert found >= 1


def test_the_database_holds_the_anonymous_contribution_with_nothing_that_leads_back(app, traces):
    rows_with_mark = []
    rows_with_key = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).mappings():
                values = " ".join(str(v) for v in row.values())
                if ANON_MARK in values:
                    rows_with_mark.append((table.name, dict(row)))
                elif traces["key"] in values:
                    rows_with_key.append(table.name)
    assert [name for name, _ in rows_with_mark] == ["safe_space_contribution"]
    row = rows_with_mark[0][1]
    assert row["author_id"] is None and row["anonymous"]
    assert not any(isinstance(v, datetime | date) for v in row.values())
    assert (
        str(traces["author_id"])
        not in {str(v) for v in row.values() if v is not None} - {row["session_id"].__str__()}
        or traces["author_id"] == row["session_id"]
    )
    assert PROFILE_MARK not in " ".join(str(v) for v in row.values())
    assert rows_with_key == []  # no audit event, notification or log table names it
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("safe_space_contribution")}
    assert not columns & {
        "created_at",
        "updated_at",
        "ip",
        "ip_address",
        "user_agent",
        "author_email",
    }


def test_the_logs_never_mention_the_anonymous_contribution(traces):
    # Everything was done while the fixture was set up; its records are kept under "setup".
    records = traces["caplog"].get_records("setup")
    assert records  # the app did log things while all this happened
    for record in records:
        message = record.getMessage()
        assert ANON_MARK not in message and traces["key"] not in message


def test_the_request_logs_drop_safe_space_addresses():
    keep = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '"GET /grids/x HTTP/1.1" 200 -', None, None
    )
    drop = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '"%s" 200 -',
        ("POST /safe-space/3/contributions HTTP/1.1",),
        None,
    )
    assert PrivateRequestFilter().filter(keep) and not PrivateRequestFilter().filter(drop)


def test_gunicorn_writes_no_access_line_for_safe_space_requests():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = AccessLogger(config)
    lines = io.StringIO()
    for handler in logger.access_log.handlers:
        logger.access_log.removeHandler(handler)
    logger.access_log.addHandler(logging.StreamHandler(lines))

    class Response:
        status = "200 OK"
        response_length = 10
        sent = 10
        headers: tuple[tuple[str, str], ...] = ()

    class Request:
        headers: tuple[tuple[str, str], ...] = ()

    for path in ("/grids/demo", "/safe-space/3/contributions"):
        environ = {
            "PATH_INFO": path,
            "RAW_URI": path,
            "REQUEST_METHOD": "POST",
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.9",
        }
        logger.access(
            Response(), Request(), environ, __import__("datetime").timedelta(seconds=0.01)
        )
    written = lines.getvalue()
    assert "/grids/demo" in written and "/safe-space" not in written

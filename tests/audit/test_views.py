"""The audit log page and its CSV as an admin meets them, and everyone else refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from grid_app.audit import queries
from grid_app.audit import service as audit
from grid_app.audit.models import AuditEvent
from grid_app.auth import service as auth_service
from grid_app.auth.models import OPERATOR, Role, User
from grid_app.extensions import db
from grid_app.gaps import service as gap_service
from grid_app.grid import csvout
from grid_app.grid.models import Cell
from grid_app.people import service as people_service
from tests.conftest import HX, PASSWORD

NOT_ADMINS = ["contributor", "manager", "facilitator", "reader"]


def user(person) -> User:
    return db.session.get_one(User, person.id)


def events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )
        return found


def rows_of(page: str) -> list[str]:
    """The text of each row of the log, tags removed."""
    rows = re.findall(r'<tr class="govuk-table__row" id="event-\d+">(.*?)</tr>', page, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def csv_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_signed_out_people_are_sent_to_sign_in(client, people):
    for url in ("/audit", "/audit.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_people_who_are_not_admins_are_refused_the_page_and_the_csv(app, client, people, who):
    client.sign_in(people[who])
    assert "Audit log</a>" not in client.get("/profile").text
    assert client.get("/audit").status_code == 403
    assert client.get("/audit", headers=HX).status_code == 403
    assert client.get("/audit.csv").status_code == 403
    assert client.get("/audit.csv?action=audit.viewed").status_code == 403
    assert events(app, "audit.viewed") == [] and events(app, "audit.exported") == []


def test_the_header_links_admins_to_the_audit_log(client, people):
    client.sign_in(people["admin"])
    page = client.get("/profile").text
    assert re.search(r'<a class="app-header__link" href="/audit">Audit log</a>', page)


def test_the_log_says_who_did_what_to_whom_newest_first(app, client, people):
    with app.app_context():
        people_service.set_roles(
            user(people["admin"]), user(people["other"]), ["contributor", "manager"]
        )
        db.session.commit()
    client.post_form("/sign-in", {"email": "nobody@example.org", "password": "wrong"})
    client.sign_in(people["admin"])
    page = client.get("/audit")
    assert page.status_code == 200
    assert "HX-Request" in page.headers["Vary"]
    rows = rows_of(page.text)
    # The read itself comes first: it is recorded before the page is read.
    assert "Ade Admin viewed the audit log" in rows[0]
    assert "Ade Admin signed in" in rows[1]
    assert "Someone unknown Someone unknown failed to sign in" in rows[2]
    assert any(
        "Ade Admin changed the roles of Olu Other from contributor to contributor, manager" in row
        for row in rows
    )
    assert any("Operator created the account of Cara Contributor" in row for row in rows)
    assert f'href="/people/{people["other"].id}">Olu Other</a>' in page.text


def test_viewing_and_downloading_are_recorded_with_their_filters(app, client, people):
    client.sign_in(people["admin"])
    other = people["other"].id
    client.get(f"/audit?person={other}&action=auth.signed_in&date_from=2026-01-01")
    viewed = events(app, "audit.viewed")[-1]
    assert viewed.actor_id == people["admin"].id
    assert (viewed.target_type, viewed.target_id) == ("user", str(other))
    assert viewed.details == {
        "person": other,
        "filtered_action": "auth.signed_in",
        "from": "2026-01-01",
    }
    download = client.get("/audit.csv?action=user.created&date_to=2030-12-31")
    assert download.status_code == 200 and download.text.startswith("When (UTC)")
    exported = events(app, "audit.exported")[-1]
    assert exported.details == {"filtered_action": "user.created", "to": "2030-12-31"}
    rows = rows_of(client.get("/audit").text)
    assert (
        "Ade Admin downloaded the audit log as CSV, filtered by action “Account created”, "
        "to 2030-12-31" in rows[1]
    )
    assert (
        "Ade Admin viewed the audit log, filtered by person Olu Other, action “Signed in”, "
        "from 2026-01-01" in rows[2]
    )


def test_the_person_filter_finds_them_as_actor_and_as_subject(app, client, people):
    client.sign_in(people["other"])
    with app.app_context():
        people_service.set_roles(user(people["admin"]), user(people["other"]), ["contributor"])
        people_service.deactivate(user(people["admin"]), user(people["reader"]))
        db.session.commit()
    admin = client.application.test_client()
    admin.sign_in(people["admin"])
    rows = rows_of(admin.get(f"/audit?person={people['other'].id}").text)
    assert any("Olu Other signed in" in row for row in rows)
    assert any("Operator created the account of Olu Other" in row for row in rows)
    assert not any("Rae Reader" in row for row in rows)
    assert not any("Ade Admin signed in" in row for row in rows)


def test_the_action_and_date_filters_narrow_the_log(app, client, people):
    with app.app_context():
        for days_ago, who in ((40, "contributor"), (10, "other"), (1, "manager")):
            event = audit.record(user(people[who]), "auth.signed_out", "user", people[who].id)
            event.created_at = datetime(2026, 6, 30, 12) - timedelta(days=days_ago)
        db.session.commit()
    client.sign_in(people["admin"])
    rows = rows_of(client.get("/audit?action=auth.signed_out").text)
    assert [r.split(" signed out")[0].split()[-2:] for r in rows] == [
        ["Mo", "Manager"],
        ["Olu", "Other"],
        ["Cara", "Contributor"],
    ]
    rows = rows_of(
        client.get("/audit?action=auth.signed_out&date_from=2026-06-20&date_to=2026-06-29").text
    )
    assert len(rows) == 2 and "Olu Other" in rows[1]
    rows = rows_of(client.get("/audit?action=auth.signed_out&date_to=2026-06-20").text)
    assert len(rows) == 2 and "Olu Other" in rows[0]


def test_an_empty_result_says_so(client, people):
    client.sign_in(people["admin"])
    page = client.get("/audit?action=safe_space.session_purged")
    assert page.status_code == 200 and "No events match." in page.text


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=2026-02-30", "audit-from", "Enter a real date"),
        ("date_to=yesterday", "audit-to", "Enter a real date"),
        ("date_from=0001-01-01", "audit-from", "Enter a real date"),
        ("date_to=9999-12-31", "audit-to", "Enter a real date"),
        ("date_from=2026-05-02&date_to=2026-05-01", "audit-to", "same as or after"),
        ("action=user.exploded", "audit-action", "Choose an action from the list."),
        ("person=999999", "audit-person", "Choose a person from the list."),
        ("person=abc", "audit-person", "Choose a person from the list."),
    ],
)
def test_bad_filters_are_refused_beside_their_field_keeping_the_input(
    app, client, people, query, field, message
):
    client.sign_in(people["admin"])
    for headers in ({}, HX):
        response = client.get(f"/audit?{query}", headers=headers)
        assert response.status_code == 400
        # htmx does not swap a 400: it is asked to load the page with the messages instead.
        assert response.headers.get("HX-Redirect") == (f"/audit?{query}" if headers else None)
        error = re.search(
            rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', response.text, re.S
        )
        assert error and message in error.group(1)
        assert "Correct the filters above" in response.text
    page = client.get(f"/audit?{query}").text
    for value in re.findall(r"=([^&]+)", query):
        if field in ("audit-from", "audit-to"):
            assert f'value="{value}"' in page
    assert client.get(f"/audit.csv?{query}").status_code == 400
    assert events(app, "audit.viewed") == [] and events(app, "audit.exported") == []


@pytest.mark.parametrize(
    "cursor", ["nonsense", "20261399250000000000-5", "1-2", "2026120412000000000x-1", "'--"]
)
def test_a_tampered_page_link_is_a_clear_400(client, people, cursor):
    client.sign_in(people["admin"])
    for name in ("before", "after"):
        response = client.get("/audit", query_string={name: cursor})
        assert response.status_code == 400
        assert "That page link is broken" in response.text


def test_the_filter_swaps_just_the_log_with_htmx(client, people):
    client.sign_in(people["admin"])
    fragment = client.get("/audit?action=user.created", headers=HX)
    assert fragment.status_code == 200
    text = fragment.text.strip()
    assert text.startswith('<div id="audit-log">') and text.endswith("</div>")
    assert "<html" not in text and text.count('<div id="audit-log">') == 1
    full = client.get("/audit?action=user.created")
    assert "<html" in full.text and '<div id="audit-log">' in full.text


def _add_events(app: Flask, count: int, at: datetime, actor_id: int | None) -> None:
    with app.app_context():
        db.session.add_all(
            AuditEvent(
                actor_id=actor_id,
                action="auth.signed_in",
                target_type="user",
                target_id=str(actor_id or ""),
                created_at=at,
                details={},
            )
            for _ in range(count)
        )
        db.session.commit()


def test_paging_older_and_newer_visits_every_event_once_across_equal_times(app, people):
    same = datetime(2026, 3, 1, 9, 30)
    _add_events(app, 23, same, people["other"].id)
    _add_events(app, 5, same + timedelta(seconds=1), people["manager"].id)
    _add_events(app, 4, same - timedelta(days=1), people["contributor"].id)
    with app.app_context():
        everything = [
            (e.created_at, e.id)
            for e in db.session.scalars(
                select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            )
        ]
        pages: list[queries.AuditPage] = []
        found = queries.page(queries.AuditFilters(), size=7)
        assert found.newer is None
        pages.append(found)
        while found.older:
            found = queries.page(
                queries.AuditFilters(), before=queries.Cursor.decode(found.older), size=7
            )
            pages.append(found)
        seen = [(e.created_at, e.id) for p in pages for e in p.entries]
        assert seen == everything
        back = pages[-1]
        newer_pages = []
        while back.newer:
            back = queries.page(
                queries.AuditFilters(), after=queries.Cursor.decode(back.newer), size=7
            )
            newer_pages.append([e.id for e in back.entries])
        assert newer_pages == [[e.id for e in p.entries] for p in reversed(pages[:-1])]


def test_older_and_newer_links_carry_the_cursor_and_the_filters(app, client, people):
    _add_events(app, 120, datetime(2026, 3, 1, 9, 30), people["other"].id)
    client.sign_in(people["admin"])
    url = f"/audit?person={people['other'].id}&action=auth.signed_in"
    first = client.get(url).text
    older = re.search(r'href="([^"]+)" rel="next"><span[^>]*>Older', first)
    assert older and "before=" in older.group(1) and "action=auth.signed_in" in older.group(1)
    assert 'rel="prev"' not in first
    second = client.get(older.group(1).replace("&amp;", "&")).text
    newer = re.search(r'href="([^"]+)" rel="prev"><span[^>]*>Newer', second)
    assert newer and "after=" in newer.group(1)
    first_ids = re.findall(r'id="event-(\d+)"', first)
    second_ids = re.findall(r'id="event-(\d+)"', second)
    assert len(first_ids) == len(second_ids) == queries.PAGE_SIZE
    assert not set(first_ids) & set(second_ids)
    back = client.get(newer.group(1).replace("&amp;", "&")).text
    assert re.findall(r'id="event-(\d+)"', back) == first_ids


def _mixed_events(app: Flask, people, grid, times: int) -> None:
    """Events of every kind of subject, ``times`` of each."""
    with app.app_context():
        admin, other = user(people["admin"]), user(people["other"])
        cell = db.session.get_one(Cell, grid.cells[("Social work", "Strategy")])
        for _ in range(times):
            flag = gap_service.raise_flag(
                admin, cell, what_is_missing="Nothing on outcomes", severity="high"
            )
            audit.record(admin, "gap_flag.acknowledged", "gap_flag", flag.id)
            audit.record(admin, "history.exported", "cell", cell.id)
            audit.record(admin, "history.exported", "grid", grid.id)
            audit.record(admin, "comment.deleted", "comment", 1, cell_id=cell.id)
            audit.record(other, "auth.signed_out", "user", other.id)
            audit.record(None, "auth.sign_in_failed", "user", "")
            audit.record(OPERATOR, "safe_space.session_closed", "safe_space_session", 3)
        db.session.commit()


def test_a_page_of_any_size_is_read_in_the_same_statements(app, people, grid, count_queries):
    _mixed_events(app, people, grid, 10)
    counts = []
    for size in (8, 75):
        with app.app_context():
            with count_queries() as seen:
                found = queries.page(queries.AuditFilters(), size=size)
            assert len(found.entries) == size
            counts.append(len(seen))
    assert counts[0] == counts[1] <= 6


def test_a_page_runs_the_same_queries_however_many_events_it_shows(
    app, client, people, grid, count_queries
):
    _mixed_events(app, people, grid, 1)
    client.sign_in(people["admin"])
    with count_queries() as few:
        small = client.get("/audit")
    assert len(rows_of(small.text)) < 20
    _mixed_events(app, people, grid, 8)
    with count_queries() as many:
        big = client.get("/audit")
    assert len(rows_of(big.text)) == queries.PAGE_SIZE
    assert "Gap flag acknowledged" in big.text and "Strategy for Social work" in big.text
    assert len(many) == len(few), "\n".join(s.split("\n")[0][:120] for s in many)


def test_subjects_link_to_their_pages(app, client, people, grid):
    _mixed_events(app, people, grid, 1)
    client.sign_in(people["admin"])
    page = client.get("/audit").text
    cell = grid.cells[("Social work", "Strategy")]
    assert f'href="/cells/{cell}">Strategy for Social work</a>' in page
    assert f'href="/grids/{grid.slug}">Test grid</a>' in page
    assert f'href="/cells/{cell}/comments#comment-1">comment 1</a>' in page
    assert 'href="/safe-space/3">Session 3</a>' in page
    assert "Operator closed session 3" in page
    assert re.search(r'href="/flags/\d+">gap flag \d+ on Strategy for Social work</a>', page)


def test_the_csv_is_the_filtered_log_with_a_dated_name(app, client, people):
    client.sign_in(people["admin"])
    response = client.get("/audit.csv?action=user.created")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(
        r'attachment; filename="audit-log-\d{4}-\d{2}-\d{2}-\d{4}\.csv"',
        response.headers["Content-Disposition"],
    )
    rows = csv_of(response)
    assert len(rows) == len(people)
    assert {r["Action"] for r in rows} == {"user.created"}
    assert {r["Who"] for r in rows} == {"Operator"}
    tom = next(r for r in rows if r["Subject"] == "Olu Other")
    assert (
        tom["What happened"] == "Operator created the account of Olu Other with roles contributor"
    )
    assert tom["Subject type"] == "user" and tom["Subject id"] == str(people["other"].id)
    assert tom["Details"] == "roles=['contributor']"


def test_the_csv_cannot_make_a_spreadsheet_run_a_formula(app, client, people):
    risky = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)"]
    with app.app_context():
        for number, name in enumerate(risky):
            made = auth_service.create_user(
                OPERATOR, f"risky{number}@example.org", name, PASSWORD, roles=[Role.CONTRIBUTOR]
            )
            audit.record(made, "auth.signed_out", "user", made.id)
        db.session.commit()
    client.sign_in(people["admin"])
    rows = csv_of(client.get("/audit.csv?action=auth.signed_out"))
    who = {r["Who"] for r in rows}
    assert {"'" + name for name in risky} <= who
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    # Names lose tabs and returns when saved; the shared guard covers them in any value.
    assert csvout.safe("\tcmd") == "'\tcmd" and csvout.safe("\rcmd") == "'\rcmd"

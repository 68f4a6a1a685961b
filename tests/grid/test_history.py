"""A cell's history, comparing and restoring revisions, the grid as it stood, the feed."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.grid import queries, service
from grid_app.grid.models import Cell, CellRevision, Grid, GridColumn, ServiceArea
from tests.conftest import HX, version_of


def revision_ids(app: Flask, cell_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(CellRevision.id)
                .where(CellRevision.cell_id == cell_id)
                .order_by(CellRevision.number)
            )
        )


def write(app: Flask, person_id: int, cell_id: int, texts: list[str], start=None) -> None:
    """Save each text in turn as ``person_id``, an hour apart from ``start``."""
    with app.app_context():
        actor = db.session.get_one(User, person_id)
        cell = db.session.get_one(Cell, cell_id)
        for n, text in enumerate(texts):
            at = start + timedelta(hours=n) if start else None
            service.save_cell(actor, cell, expected_version=cell.version, text=text, at=at)
        db.session.commit()


@pytest.fixture
def strategy(app, people, grid):
    """Social work's strategy, saved three times by the contributor."""
    cell_id = grid.cells[("Social work", "Strategy")]
    write(app, people["contributor"].id, cell_id, ["One plan", "One better plan", "Two plans"])
    return cell_id


def test_history_lists_every_revision_newest_first(client, people, strategy):
    client.sign_in(people["reader"])
    page = client.get(f"/cells/{strategy}/history")
    assert page.status_code == 200
    text = page.text
    assert text.index("Revision 3") < text.index("Revision 2") < text.index("Revision 1")
    assert text.count("by Cara Contributor") == 3


def test_history_is_paginated_by_revision_number(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    write(app, people["contributor"].id, cell_id, [f"text {n}" for n in range(30)])
    client.sign_in(people["contributor"])
    first = client.get(f"/cells/{cell_id}/history").text
    assert shown_numbers(first) == list(range(30, 5, -1))
    assert "before=6" in first
    older = client.get(f"/cells/{cell_id}/history?before=6").text
    assert shown_numbers(older) == [5, 4, 3, 2, 1]
    assert "Newer revisions" in older


def shown_numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="app-revision-meta">Revision (\d+)', html)]


def test_history_page_number_that_is_not_a_number_is_400(client, people, strategy):
    client.sign_in(people["contributor"])
    assert client.get(f"/cells/{strategy}/history?before=x").status_code == 400


def test_compare_marks_inserted_and_deleted_words(app, client, people, strategy):
    first, _, third = revision_ids(app, strategy)
    client.sign_in(people["contributor"])
    page = client.get(f"/revisions/compare?from={first}&to={third}")
    assert page.status_code == 200
    assert "Revision 1 compared with revision 3" in page.text
    assert '<del><span class="govuk-visually-hidden">[removed: </span>One plan' in page.text
    assert '<ins><span class="govuk-visually-hidden">[added: </span>Two plans' in page.text


def test_compare_without_from_shows_what_one_revision_changed(app, client, people, strategy):
    _, second, _ = revision_ids(app, strategy)
    client.sign_in(people["contributor"])
    page = client.get(f"/revisions/compare?to={second}")
    assert "Revision 1 compared with revision 2" in page.text
    assert "[added: </span>better " in page.text


def test_compare_across_cells_is_refused(app, client, people, grid, strategy):
    other = grid.cells[("Social work", "Evidence")]
    write(app, people["contributor"].id, other, ["Elsewhere"])
    client.sign_in(people["contributor"])
    response = client.get(
        f"/revisions/compare?from={revision_ids(app, other)[0]}&to={revision_ids(app, strategy)[0]}"
    )
    assert response.status_code == 422
    assert "belong to different cells" in response.text


@pytest.mark.parametrize("query", ["to=999999", "from=999999&to=1", "to=abc", ""])
def test_compare_with_unknown_or_missing_revisions_is_4xx(client, people, strategy, query):
    client.sign_in(people["contributor"])
    response = client.get(f"/revisions/compare?{query}")
    assert response.status_code in (400, 404)


def test_restore_makes_an_old_revision_current_as_a_new_revision(app, client, people, strategy):
    first = revision_ids(app, strategy)[0]
    client.sign_in(people["other"])
    response = client.post_form(f"/revisions/{first}/restore", {"version": "4"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cells/{strategy}/history"
    with app.app_context():
        latest = db.session.scalars(
            db.select(CellRevision)
            .where(CellRevision.cell_id == strategy)
            .order_by(CellRevision.number.desc())
        ).first()
        assert (latest.number, latest.kind, latest.text) == (4, "restore", "One plan")
        assert latest.author_id == people["other"].id
        assert latest.summary == "Restored revision 1"
        assert db.session.get_one(Cell, strategy).text == "One plan"
    assert "Restored revision 1 as revision 4." in client.get(f"/cells/{strategy}/history").text


def test_restore_from_a_stale_page_is_a_conflict_that_changes_nothing(
    app, client, people, strategy
):
    first = revision_ids(app, strategy)[0]
    client.sign_in(people["other"])
    response = client.post_form(f"/revisions/{first}/restore", {"version": "2"})
    assert response.status_code == 409
    assert "Someone else changed this cell" in response.text
    assert ">One plan</textarea>" in response.text
    assert len(revision_ids(app, strategy)) == 3


def test_restore_is_refused_to_a_reader_and_without_a_version(app, client, people, strategy):
    first = revision_ids(app, strategy)[0]
    client.sign_in(people["reader"])
    assert client.post_form(f"/revisions/{first}/restore", {"version": "4"}).status_code == 403
    client.sign_in(people["contributor"])
    assert client.post_form(f"/revisions/{first}/restore", {"version": ""}).status_code == 400
    assert client.post_form("/revisions/999999/restore", {"version": "4"}).status_code == 404
    assert len(revision_ids(app, strategy)) == 3


def test_owner_cell_restore_brings_back_its_people(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Owner")]
    with app.app_context():
        actor = db.session.get_one(User, people["manager"].id)
        cell = db.session.get_one(Cell, cell_id)
        service.save_cell(actor, cell, expected_version=1, text="", owner_ids=[people["other"].id])
        service.save_cell(actor, cell, expected_version=2, text="", owner_ids=[])
        db.session.commit()
    first = revision_ids(app, cell_id)[0]
    client.sign_in(people["manager"])
    assert client.post_form(f"/revisions/{first}/restore", {"version": "3"}).status_code == 303
    page = client.get(f"/cells/{cell_id}", headers=HX)
    assert "<li>Olu Other</li>" in page.text


# --- The grid as it stood --------------------------------------------------------------


def test_grid_as_of_shows_each_cell_as_it_was_at_that_time(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Strategy")]
    start = utcnow() - timedelta(days=3)
    with app.app_context():
        # The grid and its rows and columns have existed since before the first edit.
        for model in (Grid, ServiceArea, GridColumn):
            for item in db.session.scalars(db.select(model)):
                item.created_at = start - timedelta(days=1)
        db.session.commit()
    write(app, people["contributor"].id, cell_id, ["Early words", "Later words"], start=start)
    client.sign_in(people["reader"])
    between = (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    page = client.get(f"/grids/{grid.slug}/as-of?at={between}")
    assert page.status_code == 200
    assert "Early words" in page.text and "Later words" not in page.text
    assert "Later change" in page.text
    now = client.get(f"/grids/{grid.slug}/as-of")
    assert "Later words" in now.text

    def step(html: str, rel: str) -> str:
        link = re.search(rf'href="([^"]+)" rel="{rel}"', html)
        assert link, rel
        return client.get(link.group(1).replace("&amp;", "&")).text

    # Each step lands exactly on a change, that change included.
    back = step(now.text, "prev")
    assert "Early words" in back and "Later words" not in back
    assert "Later words" in step(back, "next")


def test_grid_as_of_is_one_query_for_all_cells(app, people, grid, count_queries):
    for cell_id in grid.cells.values():
        write(app, people["contributor"].id, cell_id, ["a", "b", "c"])
    with count_queries() as seen, app.app_context():
        past = queries.grid_as_of(db.session.get_one(Grid, grid.id), utcnow())
        assert len(past.revisions) == len(grid.cells)
    cell_queries = [
        s for s in seen if "cell_revision" in s and "FROM cell " in s.replace("\n", " ")
    ]
    assert len(cell_queries) == 1


@pytest.mark.parametrize(
    "value,message",
    [
        ("2099-01-01T00:00", "That is in the future"),
        ("2000-01-01T00:00", "The grid did not exist before"),
        ("yesterday", "Enter a date and time"),
    ],
)
def test_grid_as_of_refuses_bad_moments_next_to_the_field(client, people, grid, value, message):
    client.sign_in(people["contributor"])
    response = client.get(f"/grids/{grid.slug}/as-of?at={quote(value)}")
    assert response.status_code == 422
    assert 'id="at-error"' in response.text and message in response.text
    assert f'value="{value}"' in response.text


# --- Activity feed -------------------------------------------------------------------


def test_feed_lists_cell_changes_newest_first_with_links_to_their_diffs(
    app, client, people, strategy
):
    client.sign_in(people["reader"])
    page = client.get(f"/grids/{grid_slug(app)}/activity").text
    ids = revision_ids(app, strategy)
    positions = [page.index(f"/revisions/compare?to={i}") for i in reversed(ids)]
    assert positions == sorted(positions)


def grid_slug(app: Flask) -> str:
    with app.app_context():
        return db.session.scalars(db.select(Grid.slug)).one()


def test_feed_filters_by_person_area_column_and_dates(app, client, people, grid, strategy):
    evidence = grid.cells[("Youth Justice", "Evidence")]
    long_ago = utcnow() - timedelta(days=40)
    write(app, people["other"].id, evidence, ["Olu's evidence"], start=long_ago)
    client.sign_in(people["contributor"])
    base = f"/grids/{grid.slug}/activity"

    def shown(query: str) -> set[int]:
        page = client.get(f"{base}?{query}")
        assert page.status_code == 200, page.text
        return {
            i
            for i in revision_ids(app, strategy) + revision_ids(app, evidence)
            if f'/revisions/compare?to={i}"' in page.text
        }

    olu = set(revision_ids(app, evidence))
    cara = set(revision_ids(app, strategy))
    assert shown(f"person={people['other'].id}") == olu
    with app.app_context():
        row_id = db.session.get_one(Cell, evidence).row_id
        column_id = db.session.get_one(Cell, strategy).column_id
    assert shown(f"row={row_id}") == olu
    assert shown(f"column={column_id}") == cara
    day = long_ago.date().isoformat()
    assert shown(f"since={day}&until={day}") == olu
    assert shown(f"since={(long_ago + timedelta(days=1)).date().isoformat()}") == cara


@pytest.mark.parametrize(
    "query,field",
    [
        ("person=abc", "person"),
        ("row=99999", "row"),
        ("since=31-12-2026", "since"),
        ("since=2026-05-02&until=2026-05-01", "until"),
        ("before=0", None),
        ("after=x-1-2", None),
    ],
)
def test_feed_refuses_malformed_filters(client, people, grid, query, field):
    client.sign_in(people["contributor"])
    response = client.get(f"/grids/{grid.slug}/activity?{query}")
    assert response.status_code in (400, 422)
    if field:
        assert response.status_code == 422 and f'id="{field}-error"' in response.text


def test_feed_pages_through_long_histories(app, client, people, grid):
    cell_id = grid.cells[("Youth Justice", "Evidence")]
    write(app, people["contributor"].id, cell_id, [f"v{n}" for n in range(60)])
    client.sign_in(people["contributor"])
    first = client.get(f"/grids/{grid.slug}/activity").text
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older and 'rel="prev"' not in first
    second = client.get(html.unescape(older.group(1))).text
    ids = revision_ids(app, cell_id)
    assert f'compare?to={ids[-1]}"' in first and f'compare?to={ids[0]}"' not in first
    assert f'compare?to={ids[0]}"' in second and f'compare?to={ids[-1]}"' not in second
    shown = [re.findall(r"compare\?to=(\d+)", page) for page in (first, second)]
    # Every revision once, newest first, across the two pages.
    assert [int(i) for i in shown[0] + shown[1]] == ids[::-1][: len(shown[0] + shown[1])]
    assert 'rel="next"' not in second
    newer = re.search(r'href="([^"]+)" rel="prev"', second)
    assert newer
    assert (
        re.findall(r"compare\?to=(\d+)", client.get(html.unescape(newer.group(1))).text) == shown[0]
    )


def test_feed_pages_in_order_when_many_changes_share_one_moment(app, client, people, grid):
    """Entries of several kinds at the very same time each appear once, in one order."""
    moment = datetime(2026, 3, 2, 9, 30)
    with app.app_context():
        author = db.session.get_one(User, people["contributor"].id)
        for name, cell_id in grid.cells.items():
            if name[1] == "Owner":
                continue
            for n in range(13):
                cell = db.session.get_one(Cell, cell_id)
                service.save_cell(
                    author, cell, expected_version=cell.version, text=f"{name} {n}", at=moment
                )
        db.session.commit()
    client.sign_in(people["contributor"])
    seen: list[str] = []
    address = f"/grids/{grid.slug}/activity"
    pages = 0
    while address:
        page = client.get(address).text
        seen += re.findall(r"compare\?to=(\d+)", page)
        found = re.search(r'href="([^"]+)" rel="next"', page)
        address = html.unescape(found.group(1)) if found else ""
        pages += 1
    assert pages == 2
    assert len(seen) == len(set(seen)) == 52


def test_a_broken_feed_page_link_is_refused_with_a_way_back(client, people, grid):
    client.sign_in(people["contributor"])
    response = client.get(f"/grids/{grid.slug}/activity?before=yesterday")
    assert response.status_code == 400
    assert "That page link is broken" in response.text
    assert f'href="/grids/{grid.slug}/activity"' in response.text


# --- CSV -------------------------------------------------------------------------------


def test_cell_and_grid_history_download_as_csv_and_are_audited(app, client, people, grid, strategy):
    write(app, people["contributor"].id, grid.cells[("Youth Justice", "Evidence")], ["=1+1"])
    client.sign_in(people["reader"])
    response = client.get(f"/cells/{strategy}/history.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["revision id", "service area", "column", "number"]
    assert [r[8] for r in rows[1:]] == ["One plan", "One better plan", "Two plans"]
    whole = list(csv.reader(io.StringIO(client.get(f"/grids/{grid.slug}/history.csv").text)))
    assert len(whole) == 5
    assert "'=1+1" in [r[8] for r in whole]  # a formula is kept as text
    with app.app_context():
        actions = list(db.session.scalars(db.select(AuditEvent.action)))
    assert actions.count("history.exported") == 2


def test_history_pages_need_sign_in(client, grid, strategy):
    for path in (
        f"/cells/{strategy}/history",
        "/revisions/compare?to=1",
        f"/grids/{grid.slug}/as-of",
        f"/grids/{grid.slug}/activity",
        f"/cells/{strategy}/history.csv",
        f"/grids/{grid.slug}/history.csv",
    ):
        assert client.get(path).status_code == 302, path
    assert client.post_form("/revisions/1/restore", {"version": "1"}).status_code == 302
    assert version_of(client.application, strategy) == 4


def test_no_code_path_can_change_or_delete_a_revision(app, strategy):
    from grid_app.database import AppendOnlyViolation

    with app.app_context():
        revision = db.session.scalars(db.select(CellRevision)).first()
        revision.text = "rewritten"
        with pytest.raises(AppendOnlyViolation, match="never changed"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(db.select(CellRevision)).first())
        with pytest.raises(AppendOnlyViolation, match="never deleted"):
            db.session.flush()
        db.session.rollback()
    assert len(revision_ids(app, strategy)) == 3


def test_grid_as_of_names_the_owners_of_the_time(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Owner")]
    with app.app_context():
        actor = db.session.get_one(User, people["manager"].id)
        cell = db.session.get_one(Cell, cell_id)
        service.save_cell(actor, cell, expected_version=1, text="", owner_ids=[people["other"].id])
        db.session.commit()
    client.sign_in(people["contributor"])
    page = client.get(f"/grids/{grid.slug}/as-of")
    assert '<p class="app-cell__owners">Olu Other</p>' in page.text


def test_grid_as_of_is_typed_and_shown_in_the_configured_local_time(app, client, people, grid):
    # Tokyo is nine hours ahead of UTC all year: the local time now is, read as UTC,
    # hours in the future.
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    app.config["TIMEZONE"] = "Asia/Tokyo"
    client.sign_in(people["contributor"])
    default = client.get(f"/grids/{grid.slug}/as-of")
    assert "Show the grid as it stood at (Asia/Tokyo)" in default.text
    local_now = datetime.now(UTC).astimezone(ZoneInfo("Asia/Tokyo"))
    assert f'value="{local_now:%Y-%m-%dT%H}' in default.text
    moment = local_now.strftime("%Y-%m-%dT%H:%M")
    response = client.get(f"/grids/{grid.slug}/as-of?at={quote(moment)}")
    assert response.status_code == 200, response.text


def test_feed_pages_through_gap_flag_steps_and_revisions_alike(app, client, people, grid):
    """A page can end on another domain's entry (here a gap flag raised) as well as on a
    revision, and the next page goes on from there."""
    from grid_app.gaps import service as gaps

    cell_id = grid.cells[("Youth Justice", "Evidence")]
    write(app, people["contributor"].id, cell_id, [f"v{n}" for n in range(30)])
    with app.app_context():
        author = db.session.get_one(User, people["contributor"].id)
        for n in range(60):
            gaps.raise_flag(
                author,
                db.session.get_one(Cell, cell_id),
                what_is_missing=f"Missing figure {n}",
                severity="low",
            )
        db.session.commit()
    client.sign_in(people["contributor"])
    address, flags, revisions, pages = f"/grids/{grid.slug}/activity", [], [], 0
    while address:
        response = client.get(address)
        assert response.status_code == 200
        flags += sorted(set(re.findall(r"Missing figure (\d+)", response.text)))
        revisions += re.findall(r"compare\?to=(\d+)", response.text)
        found = re.search(r'href="([^"]+)" rel="next"', response.text)
        address = html.unescape(found.group(1)) if found else ""
        pages += 1
    assert pages == 2
    assert sorted(map(int, flags)) == list(range(60))
    assert len(revisions) == len(set(revisions)) == 30

"""The dashboard as a manager meets it in a browser: pages, fragments and every refusal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask

from grid_app.database import utcnow
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid import structure
from grid_app.grid.models import CellRevision, Grid
from tests.conftest import HX, GridRef
from tests.dashboard.builders import cell, flag, person, write

EVIDENCE = ("Social work", "Evidence")


def stale(app: Flask, people, grid: GridRef, where=EVIDENCE) -> int:
    with app.app_context():
        write(people["contributor"], grid, where, "Workshops", at=utcnow() - timedelta(days=200))
        db.session.commit()
        return grid.cells[where]


def pages(grid: GridRef) -> list[str]:
    return [f"/grids/{grid.slug}/dashboard", f"/grids/{grid.slug}/dashboard/report", "/dashboard"]


def test_signed_out_people_are_sent_to_sign_in(client, people, grid):
    sign_in_page = client.get("/sign-in")
    assert sign_in_page.status_code == 200 and ">Dashboard</a>" not in sign_in_page.text
    for url in pages(grid):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.location
    for url in (
        f"/grids/{grid.slug}/dashboard/review-period",
        f"/cells/{grid.cells[EVIDENCE]}/review",
    ):
        response = client.post_form(url, {"days": "30", "version": "1"})
        assert response.status_code == 302 and "/sign-in" in response.location


@pytest.mark.parametrize("who", ["contributor", "facilitator", "reader"])
def test_people_who_are_not_managers_or_admins_are_refused(app, client, people, grid, who):
    cell_id = stale(app, people, grid)
    client.sign_in(people[who])
    for url in pages(grid):
        assert client.get(url).status_code == 403
    response = client.post_form(f"/grids/{grid.slug}/dashboard/review-period", {"days": "30"})
    assert response.status_code == 403
    response = client.post_form(f"/cells/{cell_id}/review", {"version": "2"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get_one(Grid, grid.id).review_period_days == 180
        kinds = set(db.session.scalars(db.select(CellRevision.kind)))
    assert kinds == {"edit"}
    assert ">Dashboard</a>" not in client.get(f"/grids/{grid.slug}").text


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_managers_and_admins_see_the_dashboard_and_its_link(app, client, people, grid, who):
    stale(app, people, grid)
    client.sign_in(people[who])
    assert ">Dashboard</a>" in client.get(f"/grids/{grid.slug}").text
    assert client.get("/dashboard").location.endswith(f"/grids/{grid.slug}/dashboard")
    page = client.get(f"/grids/{grid.slug}/dashboard")
    assert page.status_code == 200
    text = page.text
    assert '<table class="govuk-table app-heatmap">' in text
    assert text.count('class="govuk-table__cell app-heat app-heat--') == 6
    assert 'Stale<span class="govuk-visually-hidden">: Evidence for Social work' in text
    assert text.count("Empty<span") == 5
    assert "17%" in text  # 1 of 6 cells filled
    assert 'role="img"' in text and "<title" in text and "<desc" in text
    assert "Cells filled per week" in text and "Open gap flags per week" in text


def test_report_shows_figures_heatmap_and_lists_for_print(app, client, people, grid):
    stale(app, people, grid)
    client.sign_in(people["manager"])
    page = client.get(f"/grids/{grid.slug}/dashboard/report")
    assert page.status_code == 200
    assert "Coverage report" in page.text and "app-heatmap" in page.text
    assert "Stale cells, least recently reviewed first" in page.text
    assert "Mark reviewed" not in page.text


def test_filters_narrow_the_lists_and_htmx_gets_only_the_lists(app, client, people, grid):
    stale(app, people, grid)
    stale(app, people, grid, ("Youth Justice", "Strategy"))
    client.sign_in(people["manager"])
    url = f"/grids/{grid.slug}/dashboard"
    full = client.get(url).text
    youth = re.search(r'<option value="(\d+)">Youth Justice</option>', full).group(1)
    fragment = client.get(f"{url}?row={youth}", headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<div id="dashboard-lists"')
    assert "Strategy for Youth Justice" in fragment.text
    assert "Evidence for Social work" not in fragment.text
    assert "app-heatmap" not in fragment.text
    page = client.get(f"{url}?row={youth}")
    assert "app-heatmap" in page.text and f'<option value="{youth}" selected>' in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("severity=urgent", "Choose a severity from the list."),
        ("row=abc", "Choose a service area from the list."),
        ("column=99999", "Choose a column from the list."),
        ("owner=-1", "Choose a owner from the list."),
        ("sort=random", "Choose a order open flags by from the list."),
    ],
)
def test_bad_filters_are_a_400_with_the_message_next_to_the_field(
    client, people, grid, query, message
):
    client.sign_in(people["manager"])
    for url in (f"/grids/{grid.slug}/dashboard", f"/grids/{grid.slug}/dashboard/report"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert message in response.text and "govuk-error-message" in response.text
        assert "Fix the filters above" in response.text


@pytest.mark.parametrize("typed", ["abc", "0", "4000", ""])
def test_a_bad_review_period_is_refused_next_to_the_field_with_the_input_kept(
    app, client, people, grid, typed
):
    client.sign_in(people["manager"])
    response = client.post_form(f"/grids/{grid.slug}/dashboard/review-period", {"days": typed})
    assert response.status_code == 400
    assert 'id="review-days-error"' in response.text
    assert "from 1 to 3,650" in response.text
    assert f'id="review-days" name="days" type="text" inputmode="numeric" value="{typed}"' in (
        response.text
    )
    with app.app_context():
        assert db.session.get_one(Grid, grid.id).review_period_days == 180


def test_a_new_review_period_is_stored_and_changes_what_is_stale(app, client, people, grid):
    stale(app, people, grid)
    client.sign_in(people["manager"])
    url = f"/grids/{grid.slug}/dashboard"
    response = client.post_form(f"{url}/review-period", {"days": "365"})
    assert response.status_code == 303 and response.location.endswith(url)
    page = client.get(url).text
    assert "Cells are now stale after 365 days." in page
    assert 'Filled<span class="govuk-visually-hidden">: Evidence for Social work' in page


def test_marking_a_stale_cell_reviewed_from_the_dashboard(app, client, people, grid):
    cell_id = stale(app, people, grid)
    client.sign_in(people["manager"])
    url = f"/grids/{grid.slug}/dashboard"
    page = client.get(url).text
    assert 'Mark reviewed<span class="govuk-visually-hidden"> Evidence for Social work' in page
    response = client.post_form(
        f"/cells/{cell_id}/review", {"version": "2", "next": f"{url}#stale-title"}
    )
    assert response.status_code == 303 and response.location.endswith(f"{url}#stale-title")
    page = client.get(url).text
    assert "Marked evidence for Social work as reviewed." in page
    assert 'Filled<span class="govuk-visually-hidden">: Evidence for Social work' in page
    history = client.get(f"/cells/{cell_id}/history").text
    assert "marked reviewed" in history
    feed = client.get(f"/grids/{grid.slug}/activity").text
    assert "marked reviewed" in feed
    assert app.test_cli_runner().invoke(args=["verify-history"]).exit_code == 0


def test_the_cell_page_has_a_mark_reviewed_button_for_managers_only(app, client, people, grid):
    cell_id = stale(app, people, grid)
    client.sign_in(people["contributor"])
    assert "Mark reviewed" not in client.get(f"/cells/{cell_id}").text
    client.post_form("/sign-out", {})
    client.sign_in(people["manager"])
    assert "Mark reviewed" in client.get(f"/cells/{cell_id}").text
    response = client.post_form(f"/cells/{cell_id}/review", {"version": "2"})
    assert response.status_code == 303 and response.location.endswith(f"/cells/{cell_id}")


def test_review_refusals_keep_the_cell_unchanged(app, client, people, grid):
    cell_id = stale(app, people, grid)
    client.sign_in(people["manager"])
    assert client.post_form(f"/cells/{cell_id}/review", {"version": "x"}).status_code == 400
    conflict = client.post_form(f"/cells/{cell_id}/review", {"version": "1"})
    assert conflict.status_code == 409
    assert "Look at it again before marking it reviewed" in conflict.text
    empty = grid.cells[("Youth Justice", "Evidence")]
    assert client.post_form(f"/cells/{empty}/review", {"version": "1"}).status_code == 422
    # Somewhere else is never where "next" sends anyone.
    away = client.post_form(
        f"/cells/{cell_id}/review", {"version": "2", "next": "https://elsewhere.example/"}
    )
    assert away.status_code == 303 and "elsewhere" not in away.location
    with app.app_context():
        kinds = list(db.session.scalars(db.select(CellRevision.kind).order_by(CellRevision.id)))
    assert kinds == ["edit", "review"]


def test_a_review_is_not_announced_as_a_change_by_the_live_poll(app, client, people, grid):
    cell_id = stale(app, people, grid)
    with app.app_context():
        after = db.session.scalar(db.select(db.func.max(CellRevision.id)))
        structure_version = db.session.get_one(Grid, grid.id).structure_version
        found = cell(grid, EVIDENCE)
        grid_service.review_cell(person(people["manager"]), found, expected_version=found.version)
        db.session.commit()
    client.sign_in(people["contributor"])
    poll = client.get(
        f"/grids/{grid.slug}/updates?after={after}&structure={structure_version}", headers=HX
    )
    assert poll.status_code == 200
    assert f'id="cell-{cell_id}"' not in poll.text and "was changed by" not in poll.text


def test_dashboard_query_count_does_not_grow_with_cells_flags_or_revisions(
    app, client, people, grid, count_queries
):
    client.sign_in(people["manager"])
    url = f"/grids/{grid.slug}/dashboard"
    with count_queries() as few:
        assert client.get(url).status_code == 200
    with app.app_context():
        admin = person(people["admin"])
        the_grid = db.session.get_one(Grid, grid.id)
        for name in ("Education", "Partnerships", "Corporate & HR"):
            structure.apply(
                admin,
                the_grid,
                expected_version=the_grid.structure_version,
                action="add-row",
                target="",
                name=name,
            )
        db.session.commit()
        now = utcnow()
        for where in grid.cells:
            for day in range(5):
                write(
                    people["contributor"],
                    grid,
                    where,
                    f"Version {day}",
                    at=now - timedelta(days=300 - day * 40),
                    owners=[people["other"].id] if where[1] == "Owner" else None,
                )
            flag(
                grid,
                where,
                "high",
                [(now - timedelta(days=30), None, "open")],
                owner=people["other"].id,
            )
            flag(
                grid,
                where,
                "low",
                [
                    (now - timedelta(days=60), None, "open"),
                    (now - timedelta(days=20), "open", "resolved"),
                ],
            )
        db.session.commit()
    with count_queries() as many:
        page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('class="govuk-table__cell app-heat app-heat--') == 15
    assert len(many) == len(few), "\n".join(s.split("\n")[0][:100] for s in many)
    # Its own queries, the unread count on the notifications bell, and (for a manager) whether
    # managers may invite people, which the header's "Invite people" link needs.
    assert len(many) <= 17, "\n".join(s.split("\n")[0][:100] for s in many)

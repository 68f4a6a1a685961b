"""Admins change the grid's service areas and columns; every change is recorded and undoable."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from grid_app.extensions import db
from grid_app.grid.models import Cell, Grid, GridChange, GridColumn, ServiceArea
from tests.conftest import GridRef


def structure_version(app: Flask, grid: GridRef) -> int:
    with app.app_context():
        return db.session.get_one(Grid, grid.id).structure_version


def area_id(app: Flask, name: str) -> int:
    with app.app_context():
        return db.session.scalars(db.select(ServiceArea.id).where(ServiceArea.name == name)).one()


def grid_rows(client, grid: GridRef) -> list[str]:
    page = client.get(f"/grids/{grid.slug}").text
    return re.findall(r'<th scope="row"[^>]*>([^<]+)</th>', page)


def act(client, grid: GridRef, version: int, **fields: str):
    return client.post_form(f"/grids/{grid.slug}/structure", {"version": str(version), **fields})


def test_admin_adds_a_service_area_with_an_empty_cell_per_column(app, client, people, grid):
    client.sign_in(people["admin"])
    response = act(client, grid, 1, action="add-row", name="  Health   partners ")
    assert response.status_code == 303
    assert grid_rows(client, grid) == ["Social work", "Youth Justice", "Health partners"]
    with app.app_context():
        area = db.session.scalars(
            db.select(ServiceArea).where(ServiceArea.name == "Health partners")
        ).one()
        assert (
            db.session.scalar(db.select(db.func.count(Cell.id)).where(Cell.row_id == area.id)) == 3
        )
        change = db.session.scalars(db.select(GridChange)).one()
        assert (change.kind, change.after, change.author_id) == (
            "row.added",
            {"name": "Health partners"},
            people["admin"].id,
        )
    assert structure_version(app, grid) == 2


def test_admin_adds_an_owner_column(app, client, people, grid):
    client.sign_in(people["admin"])
    assert (
        act(client, grid, 1, action="add-column", name="Second owner", kind="people").status_code
        == 303
    )
    with app.app_context():
        column = db.session.scalars(
            db.select(GridColumn).where(GridColumn.name == "Second owner")
        ).one()
        assert column.holds_people and column.position == 3


def test_rename_move_archive_and_restore(app, client, people, grid):
    social = area_id(app, "Social work")
    client.sign_in(people["admin"])
    assert (
        act(
            client, grid, 1, action="rename", target=f"row:{social}", name="Social care"
        ).status_code
        == 303
    )
    assert act(client, grid, 2, action="move-down", target=f"row:{social}").status_code == 303
    assert grid_rows(client, grid) == ["Youth Justice", "Social care"]
    assert act(client, grid, 3, action="archive", target=f"row:{social}").status_code == 303
    assert grid_rows(client, grid) == ["Youth Justice"]
    assert act(client, grid, 4, action="restore", target=f"row:{social}").status_code == 303
    assert grid_rows(client, grid) == ["Youth Justice", "Social care"]


def test_archived_row_keeps_its_cells_and_history(app, client, people, grid):
    cell_id = grid.cells[("Social work", "Strategy")]
    client.sign_in(people["admin"])
    client.post_form(f"/cells/{cell_id}", {"text": "Kept safe", "version": "1"})
    act(client, grid, 1, action="archive", target=f"row:{area_id(app, 'Social work')}")
    assert "Kept safe" not in client.get(f"/grids/{grid.slug}").text
    assert "Kept safe" in client.get(f"/cells/{cell_id}/history").text
    act(client, grid, 2, action="restore", target=f"row:{area_id(app, 'Social work')}")
    assert "Kept safe" in client.get(f"/grids/{grid.slug}").text


def test_every_structural_change_is_in_the_feed_and_can_be_undone(app, client, people, grid):
    social = area_id(app, "Social work")
    client.sign_in(people["admin"])
    act(client, grid, 1, action="rename", target=f"row:{social}", name="Social care")
    feed = client.get(f"/grids/{grid.slug}/activity").text
    assert "renamed service area “Social work” to “Social care”" in feed
    with app.app_context():
        change_id = db.session.scalars(db.select(GridChange.id)).one()
    undone = client.post_form(f"/grids/{grid.slug}/changes/{change_id}/undo", {"version": "2"})
    assert undone.status_code == 303
    assert grid_rows(client, grid) == ["Social work", "Youth Justice"]
    with app.app_context():
        undo = db.session.scalars(db.select(GridChange).order_by(GridChange.id.desc())).first()
        assert undo.undoes_id == change_id and undo.after == {"name": "Social work"}


@pytest.mark.parametrize(
    "first,expected_after_undo",
    [
        ({"action": "move-down"}, ["Social work", "Youth Justice"]),
        ({"action": "archive"}, ["Social work", "Youth Justice"]),
        ({"action": "add-row", "name": "New"}, ["Social work", "Youth Justice"]),
    ],
)
def test_undo_reverses_moves_archives_and_additions(
    app, client, people, grid, first, expected_after_undo
):
    client.sign_in(people["admin"])
    target = (
        {} if first["action"] == "add-row" else {"target": f"row:{area_id(app, 'Social work')}"}
    )
    assert act(client, grid, 1, **first, **target).status_code == 303
    with app.app_context():
        change_id = db.session.scalars(db.select(GridChange.id)).one()
    assert (
        client.post_form(
            f"/grids/{grid.slug}/changes/{change_id}/undo", {"version": "2"}
        ).status_code
        == 303
    )
    assert grid_rows(client, grid) == expected_after_undo


def test_a_change_from_an_older_structure_is_a_conflict_that_keeps_the_typed_name(
    app, client, new_client, people, grid
):
    social = area_id(app, "Social work")
    client.sign_in(people["admin"])
    act(client, grid, 1, action="add-row", name="Education")
    stale = act(client, grid, 1, action="rename", target=f"row:{social}", name="My new name")
    assert stale.status_code == 409
    assert (
        "Someone else changed the grid’s rows or columns" in stale.text or "meanwhile" in stale.text
    )
    assert 'value="My new name"' in stale.text
    assert grid_rows(client, grid) == ["Social work", "Youth Justice", "Education"]


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"action": "add-row", "name": "   "}, "Enter a name for the service area."),
        ({"action": "add-column", "name": "x" * 121}, "Use 120 characters or fewer."),
        (
            {"action": "add-column", "name": "Ok", "kind": "pictures"},
            "Choose what the column holds.",
        ),
        ({"action": "explode", "target": "row:1"}, "That action is not known."),
    ],
)
def test_bad_structural_input_is_refused_with_a_message(app, client, people, grid, fields, message):
    client.sign_in(people["admin"])
    response = act(client, grid, 1, **fields)
    assert response.status_code == 422
    assert message in response.text
    assert structure_version(app, grid) == 1


def test_unknown_targets_and_missing_versions_are_4xx(app, client, people, grid):
    client.sign_in(people["admin"])
    assert act(client, grid, 1, action="rename", target="row:99999", name="x").status_code == 404
    assert act(client, grid, 1, action="archive", target="nonsense").status_code == 404
    no_version = client.post_form(
        f"/grids/{grid.slug}/structure", {"action": "add-row", "name": "x"}
    )
    assert no_version.status_code == 400
    assert (
        client.post_form(f"/grids/{grid.slug}/changes/99999/undo", {"version": "1"}).status_code
        == 404
    )
    assert structure_version(app, grid) == 1


def test_moving_past_the_end_is_refused(app, client, people, grid):
    client.sign_in(people["admin"])
    response = act(client, grid, 1, action="move-up", target=f"row:{area_id(app, 'Social work')}")
    assert response.status_code == 422
    assert "cannot move further" in response.text


@pytest.mark.parametrize("who", ["contributor", "manager", "reader"])
def test_only_admins_may_change_the_structure(app, client, people, grid, who):
    client.sign_in(people[who])
    assert client.get(f"/grids/{grid.slug}/structure").status_code == 403
    assert act(client, grid, 1, action="add-row", name="Sneaky").status_code == 403
    assert "/structure" not in client.get(f"/grids/{grid.slug}").text
    assert structure_version(app, grid) == 1


def test_only_admins_may_undo(app, client, new_client, people, grid):
    admin = new_client()
    admin.sign_in(people["admin"])
    act(admin, grid, 1, action="add-row", name="Education")
    with app.app_context():
        change_id = db.session.scalars(db.select(GridChange.id)).one()
    client.sign_in(people["manager"])
    assert "Undo" not in client.get(f"/grids/{grid.slug}/activity").text
    refused = client.post_form(f"/grids/{grid.slug}/changes/{change_id}/undo", {"version": "2"})
    assert refused.status_code == 403
    assert "Education" in grid_rows(client, grid)


def test_structure_pages_need_sign_in(client, grid):
    assert client.get(f"/grids/{grid.slug}/structure").status_code == 302
    assert act(client, grid, 1, action="add-row", name="x").status_code == 302
    assert (
        client.post_form(f"/grids/{grid.slug}/changes/1/undo", {"version": "1"}).status_code == 302
    )

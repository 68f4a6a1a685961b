"""HTML read back from the database is sanitised again before any page shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.discussion import service as discussion
from grid_app.extensions import db
from grid_app.grid import service
from grid_app.grid.models import Cell
from tests.conftest import HX

HOSTILE = (
    '<div hx-post="/sign-out" hx-trigger="load" id="planted">x</div>'
    "<script>alert(1)</script><img src=x onerror=alert(1)>"
    '<a href="javascript:alert(1)" hx-get="/x">link</a><p>kept words</p>'
)
# What the planted HTML would put on a page as markup (the pages' own htmx attributes and
# scripts are not these).
MARKUP = (
    'hx-post="/sign-out"',
    'hx-get="/x"',
    "<script>alert",
    "onerror",
    'href="javascript:',
    'id="planted"',
)


@pytest.fixture
def planted(app, people, grid):
    """A cell with two revisions and a comment edited once, whose stored HTML is then
    overwritten behind the app's back, as someone with database access could."""
    cell_id = grid.cells[("Social work", "Strategy")]
    with app.app_context():
        author = db.session.get_one(User, people["contributor"].id)
        cell = db.session.get_one(Cell, cell_id)
        service.save_cell(author, cell, expected_version=cell.version, text="First words")
        service.save_cell(author, cell, expected_version=cell.version, text="Second words")
        comment = discussion.add_comment(author, cell, body="A remark")
        discussion.edit(author, comment, body="A better remark", expected_version=comment.version)
        db.session.commit()
        postgres = db.session.get_bind().dialect.name == "postgresql"
        db.session.execute(
            text(
                f"INSERT INTO history_permit (txid) VALUES ({'txid_current()' if postgres else 0})"
            )
        )
        for table in ("cell", "cell_revision", "comment", "comment_edit"):
            db.session.execute(text(f"UPDATE {table} SET html = :html"), {"html": HOSTILE})
        db.session.execute(text("DELETE FROM history_permit"))
        db.session.commit()
        return cell_id, comment.id


def _pages(slug: str, cell_id: int, comment_id: int) -> list[str]:
    later = (utcnow() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    return [
        f"/grids/{slug}",
        f"/cells/{cell_id}",
        f"/cells/{cell_id}/history",
        f"/cells/{cell_id}/comments",
        f"/comments/{comment_id}/history",
        f"/grids/{slug}/as-of?at={later}",
    ]


def test_hostile_html_written_into_the_database_never_reaches_a_page_as_markup(
    client, people, grid, planted
):
    cell_id, comment_id = planted
    client.sign_in(people["manager"])
    for path in _pages(grid.slug, cell_id, comment_id):
        for headers in ({}, HX):
            page = client.get(path, headers=headers)
            assert page.status_code in (200, 422), path
            found = [m for m in MARKUP if m in page.text]
            assert found == [], f"{path} shows {found}"
    assert "kept words" in client.get(f"/grids/{grid.slug}").text

"""`flask export` and `flask import`, and a grid that survives a round trip unchanged."""

from __future__ import annotations

import io

import pytest
from docx import Document

from grid_app.extensions import db
from grid_app.grid import history
from grid_app.grid.models import Cell, CellRevision, Grid
from grid_app.grid.queries import grid_by_slug
from tests.exchange.conftest import fill, workbook


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def contents(app, slug):
    """The live grid as {(area, column): (text, owner names)}."""
    with app.app_context():
        grid = grid_by_slug(slug)
        return {
            (c.row.name, c.column.name): (c.text, sorted(p.display_name for p in c.owners))
            for c in db.session.scalars(db.select(Cell).where(Cell.grid_id == grid.id))
        }


@pytest.fixture
def filled(app, people, grid):
    fill(app, people, grid, ("Social work", "Strategy"), "=SUM(A1) is *not* a formula\nline two")
    fill(app, people, grid, ("Social work", "Evidence"), "See [audit](https://example.org/a)")
    fill(app, people, grid, ("Youth Justice", "Strategy"), "-3 points, @team, +more")
    fill(app, people, grid, ("Youth Justice", "Owner"), "Jo from YOT", owners=["manager", "admin"])
    return grid


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "docx", "md"])
def test_export_writes_each_format_of_the_default_grid(app, filled, tmp_path, fmt):
    out = tmp_path / f"grid.{fmt}"
    result = cli(app, "export", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "Test grid" in result.output
    data = out.read_bytes()
    if fmt == "csv":
        assert data.decode().startswith("Service area,")
    elif fmt == "xlsx":
        assert workbook(data).sheetnames == ["Grid", "Open gaps", "History", "Grid as typed"]
    elif fmt == "docx":
        text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "LA Name: Our council" in text
    else:
        assert "Jo from YOT" in data.decode()


def test_export_of_an_unknown_grid_fails_clearly(app, filled, tmp_path):
    result = cli(
        app, "export", "--grid", "nope", "--format", "csv", "--output", str(tmp_path / "x")
    )
    assert result.exit_code == 2
    assert "There is no grid at this address" in result.output


def test_import_dry_run_prints_the_preview_and_changes_nothing(app, filled, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Service area,Strategy\nSocial work,Rewritten\nNew area,Hello\n")
    before = contents(app, filled.slug)
    result = cli(app, "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+ service area: New area" in result.output
    assert "change Strategy for Social work" in result.output and "'Rewritten'" in result.output
    assert "Dry run: nothing was changed." in result.output
    assert contents(app, filled.slug) == before


def test_import_acts_as_the_system_with_import_revisions(app, filled, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Service area,Strategy,Training\nSocial work,Rewritten,Yes\n")
    result = cli(app, "import", "--grid", filled.slug, str(path))
    assert result.exit_code == 0, result.output
    assert "2 cells changed, 0 service areas and 1 columns added" in result.output
    after = contents(app, filled.slug)
    assert after[("Social work", "Strategy")][0] == "Rewritten"
    assert after[("Social work", "Training")][0] == "Yes"
    with app.app_context():
        newest = db.session.scalars(
            db.select(CellRevision).order_by(CellRevision.id.desc()).limit(2)
        ).all()
        assert [(r.kind, r.author_id) for r in newest] == [("import", None), ("import", None)]
        assert history.verify_all()[1] is None


def test_import_of_a_bad_file_fails_with_the_row_and_column(app, filled, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("Service area,Strategy\nSocial work,a\nsocial work,b\n")
    result = cli(app, "import", str(path))
    assert result.exit_code == 2
    assert "Row 3, column A" in result.output


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_grid_exported_and_imported_into_a_new_grid_keeps_its_content(app, filled, tmp_path, fmt):
    out = tmp_path / f"grid.{fmt}"
    assert cli(app, "export", "--format", fmt, "--output", str(out)).exit_code == 0
    result = cli(app, "import", str(out), "--new-grid", "Round trip")
    assert result.exit_code == 0, result.output
    original = contents(app, filled.slug)
    copy = contents(app, "round-trip")
    assert copy == original
    with app.app_context():
        made = db.session.scalar(db.select(Grid).where(Grid.slug == "round-trip"))
        kinds = db.session.scalars(
            db.select(CellRevision.kind).where(CellRevision.grid_id == made.id)
        ).all()
        assert set(kinds) == {"import"} and len(kinds) == 4


def test_a_grid_round_trips_through_the_web_as_well(app, people, filled, client):
    client.sign_in(people["admin"])
    exported = client.get(f"/grids/{filled.slug}/export/grid.xlsx").data
    response = client.post(
        f"/grids/{filled.slug}/import",
        data={
            "csrf_token": client.csrf_token(),
            "target": "new",
            "new_grid_name": "Web copy",
            "file": (io.BytesIO(exported), "grid.xlsx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["Location"])
    base = page.text.split('name="base" value="')[1].split('"')[0]
    assert client.post_form(response.headers["Location"], {"base": base}).status_code == 303
    assert contents(app, "web-copy") == contents(app, filled.slug)


def test_a_council_s_spreadsheet_becomes_the_first_grid_of_an_empty_database(app, tmp_path):
    path = tmp_path / "council-grid.csv"
    path.write_text(
        "Service area,Strategy,Evidence,Gaps,Owner\n"
        "Safe spaces for staff,Monthly sessions,Staff survey 2026,,Head of HR\n"
        "Social work,Anti-racist practice standard,,No data on outcomes,\n"
    )
    dry = cli(app, "import", str(path), "--new-grid", "Grid for Supporting People", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "+ service area: Social work" in dry.output and "nothing was changed" in dry.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Grid.id))) == 0

    result = cli(app, "import", str(path), "--new-grid", "Grid for Supporting People")
    assert result.exit_code == 0, result.output
    made = contents(app, "grid-for-supporting-people")
    assert made[("Social work", "Gaps")] == ("No data on outcomes", [])
    # Nobody has an account yet: the owner stays in the cell as a contact's name.
    assert made[("Safe spaces for staff", "Owner")] == ("Head of HR", [])

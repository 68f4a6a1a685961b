"""The bare app that the speed comparison measures against shows the grid page's cells."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from flask import Flask

from grid_app import create_app
from grid_app.extensions import db
from tests.conftest import Client, Person

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bare_app  # noqa: E402  (bench/ is not a package)
import side_by_side  # noqa: E402

# Each cell's rendered Markdown, by cell id (the Markdown allows no <div> of its own); a long
# cell's text carries a second class, for its first lines.
CELL_TEXT = re.compile(
    r'<div id="cell-(\d+)"[^>]*>.*?<div class="app-cell__text[^"]*">(.*?)</div>', re.DOTALL
)


def cell_texts(html: str) -> dict[int, str]:
    """The rendered text of every cell on a page, by cell id."""
    return {int(cell_id): text.strip() for cell_id, text in CELL_TEXT.findall(html)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> side_by_side.Built:
    """Both databases, built as the comparison builds them (SQLite, as it serves them)."""
    return side_by_side.build(tmp_path_factory.mktemp("side-by-side"), 3, 2, seed=7)


def test_the_bare_app_lists_the_same_cells_as_the_grid_page(
    built: side_by_side.Built, tmp_path: Path
) -> None:
    app: Flask = create_app(
        {
            "DATABASE_URL": f"sqlite:///{built.app_database}",
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    app.test_client_class = Client
    browser: Client = app.test_client()  # type: ignore[assignment]
    browser.sign_in(Person(0, side_by_side.CONTRIBUTOR, "Casey Contributor"), side_by_side.PASSWORD)
    grid_page = browser.get(f"/grids/{built.slug}")
    bare_page = bare_app.create_app(str(built.bare_database)).test_client().get("/grid")
    with app.app_context():
        db.engine.dispose()

    assert grid_page.status_code == 200
    assert bare_page.status_code == 200
    shown = cell_texts(grid_page.text)
    assert len(shown) == 6
    assert all(shown.values()), "every cell was given a text"
    assert cell_texts(bare_page.text) == shown
    # Both list the service areas in the same order (the grid's header of a row with a long
    # cell goes on to its "Show all" link).
    areas = re.findall(r'<th scope="row"[^>]*>([^<]+)<', grid_page.text)
    assert re.findall(r'<th scope="row"[^>]*>([^<]+)<', bare_page.text) == areas
    assert len(areas) == 3


def test_a_bare_save_refuses_a_stale_version(built: side_by_side.Built, tmp_path: Path) -> None:
    database = tmp_path / "bare.db"
    shutil.copy(built.bare_database, database)
    cell_id, _ = built.cells[0]
    bare = bare_app.create_app(str(database)).test_client()
    version = int(re.findall(r'data-version="(\d+)"', bare.get("/grid").text)[0])

    saved = bare.post(f"/cells/{cell_id}", data={"version": version, "text": "New *text*"})
    stale = bare.post(f"/cells/{cell_id}", data={"version": version, "text": "Lost"})

    assert saved.status_code == 200
    assert f'data-version="{version + 1}"' in saved.text
    assert stale.status_code == 409
    assert "New *text*" in bare.get("/grid").text

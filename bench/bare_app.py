"""A bare Flask + SQLite + Jinja app that lists the same cells as the grid page.

It is the yardstick for `side_by_side.py`: about the least a Python server on this stack can
do to show a grid of cells and save one. One query with the standard library's sqlite3, one
Jinja template, no ORM, no sign-in, no CSRF, no history. A save is a bare UPDATE of the
cell's text, guarded by its version.

    BARE_DATABASE=/tmp/bare.db gunicorn 'bench.bare_app:create_app()'

`build(path, grid)` writes its database from the cells of a grid of this app.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, g, render_template, request
from jinja2 import DictLoader
from markupsafe import escape

# The same connection settings as the app's SQLite (grid_app/database.py), so both pay the
# same for durability and wait the same way for the write lock.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=15000",
    "PRAGMA synchronous=FULL",
)

SCHEMA = """
CREATE TABLE person (id INTEGER PRIMARY KEY, display_name TEXT NOT NULL);
CREATE TABLE service_area (id INTEGER PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE grid_column (id INTEGER PRIMARY KEY, name TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE cell (
    id INTEGER PRIMARY KEY,
    row_id INTEGER NOT NULL REFERENCES service_area (id),
    column_id INTEGER NOT NULL REFERENCES grid_column (id),
    text TEXT NOT NULL,
    html TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at TEXT,
    updated_by_id INTEGER REFERENCES person (id)
);
CREATE INDEX ix_cell_row_column ON cell (row_id, column_id);
"""

CELLS = """
SELECT cell.id, cell.row_id, cell.html, cell.version, cell.updated_at, person.display_name
FROM cell
JOIN service_area ON service_area.id = cell.row_id
JOIN grid_column ON grid_column.id = cell.column_id
LEFT JOIN person ON person.id = cell.updated_by_id
ORDER BY service_area.position, grid_column.position
"""

TEMPLATES = {
    "cell.html": """\
{% macro cell_view(cell) -%}
<div id="cell-{{ cell.id }}" class="app-cell" data-version="{{ cell.version }}">
  {% if cell.html %}<div class="app-cell__text">{{ cell.html | safe }}</div>{% endif %}
  {% if cell.updated_at %}<p class="app-cell__meta">Changed <time datetime="{{ cell.updated_at }}">\
{{ cell.updated_at[:10] }}</time>{% if cell.by %} by {{ cell.by }}{% endif %}</p>{% endif %}
  <a href="/cells/{{ cell.id }}/edit">Edit</a>
</div>
{%- endmacro %}""",
    "grid.html": """\
{% from "cell.html" import cell_view %}<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Grid</title></head>
<body>
<main>
<h1>Grid</h1>
<table>
  <thead><tr><th scope="col">Service area</th>
  {% for column in columns %}<th scope="col">{{ column.name }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for row in rows %}
  <tr><th scope="row">{{ row.name }}</th>
    {% for cell in cells[row.id] %}<td>{{ cell_view(cell) }}</td>{% endfor %}
  </tr>
  {% endfor %}
  </tbody>
</table>
</main>
</body>
</html>
""",
    "saved.html": '{% from "cell.html" import cell_view %}{{ cell_view(cell) }}',
}


@dataclass(frozen=True)
class BareCell:
    """What the page shows of a cell."""

    id: int
    row_id: int
    html: str
    version: int
    updated_at: str | None
    by: str | None


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the same settings as the app's."""
    connection = sqlite3.connect(path, timeout=15)
    for pragma in PRAGMAS:
        connection.execute(pragma)
    return connection


def create_app(database: str | None = None) -> Flask:
    """The bare app on the SQLite file `database` (default: $BARE_DATABASE)."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader(TEMPLATES)
    path = database or os.environ["BARE_DATABASE"]

    def db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = connect(path)
        return g.db

    @app.teardown_appcontext
    def close(_error: BaseException | None) -> None:
        connection = g.pop("db", None)
        if connection is not None:
            connection.close()

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/grid")
    def grid() -> str:
        connection = db()
        rows = connection.execute("SELECT id, name FROM service_area ORDER BY position").fetchall()
        columns = connection.execute("SELECT name FROM grid_column ORDER BY position").fetchall()
        cells: dict[int, list[BareCell]] = {row_id: [] for row_id, _ in rows}
        for found in connection.execute(CELLS):
            cells[found[1]].append(BareCell(*found))
        return render_template(
            "grid.html",
            rows=[{"id": row_id, "name": name} for row_id, name in rows],
            columns=[{"name": name} for (name,) in columns],
            cells=cells,
        )

    @app.post("/cells/<int:cell_id>")
    def save(cell_id: int) -> tuple[str, int] | str:
        try:
            version = int(request.form["version"])
        except (KeyError, ValueError):
            abort(400)
        text = request.form.get("text", "")
        connection = db()
        with connection:
            changed = connection.execute(
                "UPDATE cell SET text = ?, html = ?, version = version + 1, updated_at = ? "
                "WHERE id = ? AND version = ?",
                (text, paragraphs(text), now(), cell_id, version),
            ).rowcount
        found = connection.execute(
            "SELECT cell.id, cell.row_id, cell.html, cell.version, cell.updated_at, "
            "person.display_name FROM cell LEFT JOIN person ON person.id = cell.updated_by_id "
            "WHERE cell.id = ?",
            (cell_id,),
        ).fetchone()
        if found is None:
            abort(404)
        page = render_template("saved.html", cell=BareCell(*found))
        return page if changed else (page, 409)

    return app


def paragraphs(text: str) -> str:
    """The text as escaped paragraphs (a bare save renders no Markdown)."""
    return "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def now() -> str:
    """The time of a save, as the page shows it."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class SourceCell:
    """A cell of the app's grid, to copy into the bare app's database."""

    id: int
    row_id: int
    column_id: int
    text: str
    html: str
    version: int
    updated_at: str | None
    updated_by_id: int | None


def build(
    path: Path,
    people: list[tuple[int, str]],
    areas: list[tuple[int, str]],
    columns: list[tuple[int, str]],
    cells: list[SourceCell],
) -> None:
    """Write the bare app's database (replacing any file at `path`) with these cells."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = connect(path)
    with connection:
        connection.executescript(SCHEMA)
        connection.executemany("INSERT INTO person (id, display_name) VALUES (?, ?)", people)
        connection.executemany(
            "INSERT INTO service_area (id, name, position) VALUES (?, ?, ?)",
            [(row_id, name, i) for i, (row_id, name) in enumerate(areas)],
        )
        connection.executemany(
            "INSERT INTO grid_column (id, name, position) VALUES (?, ?, ?)",
            [(column_id, name, i) for i, (column_id, name) in enumerate(columns)],
        )
        connection.executemany(
            "INSERT INTO cell (id, row_id, column_id, text, html, version, updated_at, "
            "updated_by_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [astuple(c) for c in cells],
        )
    connection.close()

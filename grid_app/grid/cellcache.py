"""The grid page's cells and rows, each rendered once for what it shows and kept.

A grid page shows hundreds of cells, and rendering each through its macro (its links, its
times, its stored HTML sanitised again) costs most of the page. A cell's HTML depends only on
what the key below holds, so a cell whose key is unchanged since the last page is taken as it
was rendered then. The key holds every input the macro reads, the stored HTML itself included
(a redaction changes it without a new version), and the "3 days ago" words, which change with
the clock rather than the cell. The store belongs to the app, so apps with other settings
(time zone, say) never share a cell. A row is kept the same way, keyed by its name, whether it
is open or holds a long cell, and its cells' HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app, request
from markupsafe import Markup

from grid_app.grid.queries import AreaRow, GridView
from grid_app.web.templating import ago

# Two versions of every cell of a 100 × 8 grid (those who may edit and those who may not)
# several times over; past it the store starts again rather than grow.
LIMIT = 8000
_EXTENSION = "grid_cell_html"


Draw = Callable[[], str]


def drawings() -> Callable[[tuple[Any, ...], Draw], Markup]:
    """The app's store of drawn pieces, as a function taking a key (which must hold
    everything the drawing reads, and begin with what kind of piece it is) and how to draw
    it: it gives what was drawn for that key, drawing it the first time. The request's
    script root is added to the key, for the addresses drawn."""
    store: dict[tuple[Any, ...], Markup] | None = current_app.extensions.get(_EXTENSION)
    if store is None:
        store = current_app.extensions[_EXTENSION] = {}
    root = request.script_root

    def remembered(key: tuple[Any, ...], draw: Draw) -> Markup:
        key = (*key, root)
        html = store.get(key)
        if html is None:
            html = Markup(draw())
            if len(store) >= LIMIT:
                store.clear()
            store[key] = html
        return html

    return remembered


def grid_rows(
    remembered: Callable[[tuple[Any, ...], Draw], Markup],
    row_address: str,
    row_macro: Callable[..., str],
    cell_macro: Callable[..., str],
    row_actions: Callable[..., str],
    view: GridView,
    can_edit: bool,
    expanded_row: int | None,
    now: datetime,
) -> Markup:
    """Every row of the grid page, each drawn by ``row_macro`` (grid/_table.html's grid_row)
    around its cells, each cell drawn by ``cell_macro`` (grid/_cell_macros.html's cell_view),
    and each kept in ``remembered`` (from ``drawings``) until something it shows changes.
    ``row_actions`` draws the "Show all" link of a row with a long cell, to ``row_address``."""
    drawn = []
    long_rows = view.long_rows
    for row in view.rows:
        expanded = expanded_row == row.id
        cells = _row_cells(remembered, cell_macro, view, row, can_edit, expanded, now)
        long = row.id in long_rows
        # The cells are the store's own strings, whose hashes Python keeps: a row's key
        # costs a few lookups, not a pass over its HTML.
        key = ("grid row", row.id, row.name, expanded, long, row_address, *cells)
        drawn.append(remembered(key, partial(_draw_row, row_macro, row, cells, row_actions, long)))
    return Markup("".join(drawn))


def _draw_row(
    row_macro: Callable[..., str],
    row: AreaRow,
    cells: list[Markup],
    row_actions: Callable[..., str],
    long: bool,
) -> str:
    """A row drawn around its cells' HTML: only when the store does not have it already."""
    tds = Markup("".join(f"{_TD}{html}</td>" for html in cells))
    return row_macro(row, tds, row_actions=row_actions, with_actions=long)


def _row_cells(
    remembered: Callable[[tuple[Any, ...], Draw], Markup],
    macro: Callable[..., str],
    view: GridView,
    row: AreaRow,
    can_edit: bool,
    expanded: bool,
    now: datetime,
) -> list[Markup]:
    """The HTML of each of ``row``'s cells (empty where the row has no cell in a column)."""
    shared = (row.id, row.name, can_edit, expanded)
    parts = []
    row_id = row.id
    cells = view.cells
    badges_by_cell = view.badges
    for column in view.columns:
        cell = cells.get((row_id, column.id))
        if cell is None:
            parts.append(_NOTHING)
            continue
        changed = cell.updated_at
        editor = cell.updated_by
        badges = badges_by_cell[cell.id]
        holds_people = column.holds_people
        key = (
            "grid cell",
            cell.id,
            cell.version,
            cell.html,
            cell.is_empty,
            cell.is_long,
            changed,
            ago(changed, now) if changed is not None else "",
            editor.display_name if editor is not None else None,
            tuple(person.display_name for person in cell.owners) if holds_people else (),
            column.name,
            holds_people,
            tuple(badges),
            shared,
        )
        parts.append(
            remembered(
                key,
                partial(
                    macro, cell, row, column, can_edit, badges=badges, expanded=expanded, now=now
                ),
            )
        )
    return parts


_NOTHING = Markup("")
_TD = '<td class="govuk-table__cell">'

"""The grid page's cells, each rendered once for what it shows and kept.

A grid page shows hundreds of cells, and rendering each through its macro (its links, its
times, its stored HTML sanitised again) costs most of the page. A cell's HTML depends only on
what the key below holds, so a cell whose key is unchanged since the last page is taken as it
was rendered then. The key holds every input the macro reads, the stored HTML itself included
(a redaction changes it without a new version), and the "3 days ago" words, which change with
the clock rather than the cell. The store belongs to the app, so apps with other settings
(time zone, say) never share a cell.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app, request
from markupsafe import Markup

from grid_app.grid.queries import GridView
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


def row_cells(
    macro: Callable[..., str],
    view: GridView,
    row: Any,
    can_edit: bool,
    expanded: bool,
    now: datetime,
) -> Markup:
    """The ``<td>`` of each of ``row``'s cells on the grid page, each cell drawn by ``macro``
    (grid/_cell_macros.html's cell_view) once for what it shows."""
    remembered = drawings()
    shared = (row.id, row.name, can_edit, expanded)
    parts = []
    row_id = row.id
    cells = view.cells
    for column, column_id, column_name, holds_people in view.column_facts:
        cell = cells.get((row_id, column_id))
        if cell is None:
            parts.append(_EMPTY_TD)
            continue
        changed = cell.updated_at
        editor = cell.updated_by
        badges = view.badges[cell.id]
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
            column_name,
            holds_people,
            tuple(badges),
            shared,
        )
        html = remembered(
            key,
            partial(macro, cell, row, column, can_edit, badges=badges, expanded=expanded, now=now),
        )
        parts.append(f"{_TD}{html}</td>")
    return Markup("".join(parts))


_TD = '<td class="govuk-table__cell">'
_EMPTY_TD = f"{_TD}</td>"

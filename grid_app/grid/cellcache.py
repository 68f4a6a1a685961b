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
from typing import Any

from flask import current_app, request
from markupsafe import Markup

from grid_app.grid.queries import GridView
from grid_app.web.templating import ago

# Two versions of every cell of a 100 × 8 grid (those who may edit and those who may not)
# several times over; past it the store starts again rather than grow.
LIMIT = 8000
_EXTENSION = "grid_cell_html"


def _store() -> dict[tuple[Any, ...], Markup]:
    found: dict[tuple[Any, ...], Markup] | None = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions[_EXTENSION] = {}
    return found


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
    store = _store()
    shared = (row.id, row.name, can_edit, expanded, request.script_root)
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
        html = store.get(key)
        if html is None:
            html = Markup(
                macro(cell, row, column, can_edit, badges=badges, expanded=expanded, now=now)
            )
            if len(store) >= LIMIT:
                store.clear()
            store[key] = html
        parts.append(f"{_TD}{html}</td>")
    return Markup("".join(parts))


_TD = '<td class="govuk-table__cell">'
_EMPTY_TD = f"{_TD}</td>"

"""The dashboard's heatmap, a row at a time: each cell's square drawn once for what it shows
(its state, its open flags, the names in its link) and kept, as the grid page's cells are."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from markupsafe import Markup

from grid_app.dashboard.queries import Coverage
from grid_app.grid.cellcache import drawings
from grid_app.grid.models import ServiceArea

_NO_CELL = '<td class="govuk-table__cell">–</td>'


def heat_row(macro: Callable[..., str], view: Coverage, row: ServiceArea) -> Markup:
    """The ``<td>`` of each of ``row``'s cells in the heatmap, each drawn by ``macro``
    (dashboard/_macros.html's heat_cell)."""
    remembered = drawings()
    row_id, row_name = row.id, row.name
    parts = []
    for column in view.columns:
        status = view.cells.get((row_id, column.id))
        if status is None:
            parts.append(_NO_CELL)
            continue
        key = (
            "heat cell",
            status.id,
            status.state,
            tuple(sorted(status.flags.items())),
            status.empty,
            column.name,
            row_name,
        )
        parts.append(remembered(key, partial(macro, status, row, column)))
    return Markup("".join(parts))

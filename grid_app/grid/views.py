"""The grid page and editing a cell in place (htmx) or on its own page (no JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as people
from grid_app.errors import EditConflict, Invalid
from grid_app.extensions import db
from grid_app.grid import diff, queries, service
from grid_app.grid.forms import CellForm
from grid_app.grid.models import Cell
from grid_app.web import htmx

bp = Blueprint("grid", __name__)


@bp.get("/")
def home() -> Response:
    """Open the default grid."""
    return redirect(url_for("grid.show", slug=queries.default_grid().slug))


@bp.get("/grids/<slug>")
def show(slug: str) -> Response:
    """Every service area against every column."""
    view = queries.grid_view(queries.grid_by_slug(slug))
    return htmx.render("grid/show.html", view=view, can_edit=service.can_edit_cells(current_user))


@bp.get("/cells/<int:cell_id>")
def cell(cell_id: int) -> Response:
    """A cell on its own page; as a fragment, the cell's display (used to cancel an edit)."""
    found = queries.cell_by_id(cell_id)
    return htmx.render("grid/cell.html", "grid/_cell.html", **_cell_context(found))


@bp.get("/cells/<int:cell_id>/edit")
def edit(cell_id: int) -> Response:
    """The edit form, in place (fragment) or as a page that works without JavaScript."""
    found = queries.cell_by_id(cell_id)
    if not service.can_edit_cells(current_user):
        abort(403, "You can read the grid but not change it.")
    form = CellForm(text=found.text, version=str(found.version), owners=_owner_ids(found))
    return htmx.render(
        "grid/edit.html", "grid/_cell_form.html", **_cell_context(found, form=form, editing=True)
    )


@bp.post("/cells/<int:cell_id>")
def save(cell_id: int) -> Response:
    """Save a cell from the version the person started from; conflicts keep their text."""
    found = queries.cell_by_id(cell_id)
    form = CellForm()
    form.owners.choices = [(p.id, p.display_name) for p in people.active_people()]
    version = form.version_number()
    if version is None:
        abort(400, "The form was missing the version you started from. Reload and try again.")
    try:
        service.save_cell(
            current_user,
            found,
            expected_version=version,
            text=form.text.data or "",
            owner_ids=form.owners.data if found.column.holds_people else None,
            summary=form.summary.data or "",
        )
    except Invalid as error:
        db.session.rollback()
        for name, message in error.field_errors.items():
            getattr(form, name).errors = [message]
        found = queries.cell_by_id(cell_id)
        return htmx.render(
            "grid/edit.html",
            "grid/_cell_form.html",
            status=422,
            **_cell_context(found, form=form, editing=True, error=error.message),
        )
    except EditConflict as error:
        db.session.rollback()
        found = queries.cell_by_id(cell_id)
        typed = service.normalise_text(form.text.data or "")
        form.version.data = str(found.version)
        return htmx.render(
            "grid/conflict.html",
            "grid/_cell_conflict.html",
            status=409,
            **_cell_context(
                found,
                form=form,
                editing=True,
                error=error.message,
                changes=diff.word_diff(found.text, typed),
            ),
        )
    db.session.commit()
    if htmx.wants_fragment():
        return htmx.render("grid/cell.html", "grid/_cell.html", **_cell_context(found, saved=True))
    return htmx.redirect_after_post(
        url_for("grid.show", slug=found.row.grid.slug, _anchor=f"cell-{found.id}")
    )


def _owner_ids(cell: Cell) -> list[int]:
    return [owner.id for owner in cell.owners]


def _cell_context(cell: Cell, form: CellForm | None = None, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "owners": queries.row_owners(cell.row),
        "can_edit": service.can_edit_cells(current_user),
        "form": form,
        **extra,
    }
    if form is not None and cell.column.holds_people:
        form.owners.choices = [(p.id, p.display_name) for p in people.active_people()]
    return context

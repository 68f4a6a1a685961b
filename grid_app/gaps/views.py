"""Gap flags: a cell's flags and the raise form, one flag with its timeline and the
manager's actions, and a grid's open flags."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as people
from grid_app.errors import EditConflict, Invalid
from grid_app.extensions import db
from grid_app.gaps import queries, service
from grid_app.gaps.forms import (
    SEVERITY_LABELS,
    STATUS_LABELS,
    FlagActionForm,
    FlagFilterForm,
    RaiseFlagForm,
)
from grid_app.gaps.models import GapFlag, GapStatus
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Cell
from grid_app.web import htmx

bp = Blueprint("gaps", __name__)


@bp.record_once
def _show_flags_on_cells(_state: BlueprintSetupState) -> None:
    grid_queries.register_cell_extension(queries.cell_badges, queries.cell_page_link)
    grid_queries.register_feed_source(queries.feed_entries)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {"severity_labels": SEVERITY_LABELS, "status_labels": STATUS_LABELS}


@bp.route("/cells/<int:cell_id>/flags", methods=["GET", "POST"])
def cell_flags(cell_id: int) -> Response:
    """A cell's flags and the form to flag a gap; the form swaps the list in place."""
    cell = grid_queries.cell_by_id(cell_id)
    form = RaiseFlagForm()
    if request.method == "GET":
        return htmx.render("gaps/cell_flags.html", "gaps/_flags.html", **_cell_context(cell, form))
    try:
        flag = service.raise_flag(
            current_user,
            cell,
            what_is_missing=form.what_is_missing.data or "",
            severity=form.severity.data or "",
        )
    except Invalid as error:
        db.session.rollback()
        _show_errors(form, error)
        cell = grid_queries.cell_by_id(cell_id)
        return htmx.render(
            "gaps/cell_flags.html",
            "gaps/_flags.html",
            status=422,
            **_cell_context(cell, form, error=error.message),
        )
    db.session.commit()
    if htmx.wants_fragment():
        cell = grid_queries.cell_by_id(cell_id)
        return htmx.render(
            "gaps/_flags.html", **_cell_context(cell, RaiseFlagForm(formdata=None), raised=flag)
        )
    flash("The gap has been flagged. A manager will triage it.", "success")
    return htmx.redirect_after_post(url_for("gaps.cell_flags", cell_id=cell_id))


@bp.get("/flags/<int:flag_id>")
def flag(flag_id: int) -> Response:
    """One flag: what is missing, who owns it, its timeline and the manager's actions."""
    found = queries.flag_by_id(flag_id)
    return htmx.render("gaps/flag.html", "gaps/_flag.html", **_flag_context(found))


@bp.post("/flags/<int:flag_id>/<action>")
def act(flag_id: int, action: str) -> Response:
    """Acknowledge, assign, start, resolve, close as won't fix, or reopen a flag."""
    found = queries.flag_by_id(flag_id)
    try:
        chosen = service.Action(action)
    except ValueError:
        abort(404, "There is no such action on a gap flag.")
    if not service.can_manage(current_user):
        abort(403, "Only a manager can triage, assign or close a gap flag.")
    form = FlagActionForm()
    version = form.version_number()
    if version is None:
        abort(400, "The form was missing the version you started from. Reload and try again.")
    if not form.due_date.validate(form):
        form.due_date.errors = ["Enter a real date, like 2027-03-31."]
        return _refused(flag_id, chosen, form, 422, "Nothing was changed.")
    try:
        service.change(
            current_user,
            found,
            chosen,
            expected_version=version,
            note=form.note.data or "",
            owner_id=form.owner_id() if chosen is service.Action.ASSIGN else None,
            due_date=form.due_date.data,
        )
    except (Invalid, EditConflict) as error:
        db.session.rollback()
        if isinstance(error, Invalid):
            _show_errors(form, error)
        status = 409 if isinstance(error, EditConflict) else 422
        return _refused(flag_id, chosen, form, status, error.message)
    db.session.commit()
    if htmx.wants_fragment():
        found = queries.flag_by_id(flag_id)
        return htmx.render("gaps/_flag.html", **_flag_context(found, done=chosen))
    flash(f"The gap flag is now {service.STATUS_WORDS[GapStatus(found.status)]}.", "success")
    return htmx.redirect_after_post(url_for("gaps.flag", flag_id=flag_id))


@bp.get("/grids/<slug>/flags")
def grid_flags(slug: str) -> Response:
    """The grid's flags, open ones by default, filterable by severity and status."""
    grid = grid_queries.grid_by_slug(slug)
    form = FlagFilterForm(request.args)
    for field in (form.severity, form.status):
        if (field.data or "") not in {choice.value for choice in field.choices or []}:
            field.errors = [f"Choose a {field.label.text.lower()} from the list."]
    if form.severity.errors or form.status.errors:
        return htmx.render("gaps/grid_flags.html", status=422, grid=grid, form=form, flags=None)
    filters = queries.FlagFilters(severity=form.severity.data or "", status=form.status.data or "")
    return htmx.render(
        "gaps/grid_flags.html", grid=grid, form=form, flags=queries.grid_flags(grid, filters)
    )


def _show_errors(form: RaiseFlagForm | FlagActionForm, error: Invalid) -> None:
    for name, message in error.field_errors.items():
        getattr(form, name).errors = [message]


def _refused(
    flag_id: int, action: service.Action, form: FlagActionForm, status: int, message: str
) -> Response:
    """The flag as it is now, with the failed action's form keeping what was typed."""
    found = queries.flag_by_id(flag_id)
    form.version.data = str(found.version)
    return htmx.render(
        "gaps/flag.html",
        "gaps/_flag.html",
        status=status,
        **_flag_context(found, failed=action.value, failed_form=form, error=message),
    )


def _cell_context(cell: Cell, form: RaiseFlagForm, **extra: Any) -> dict[str, Any]:
    return {
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "flags": queries.cell_flags(cell),
        "form": form,
        "can_raise": service.can_raise(current_user),
        **extra,
    }


def _flag_context(found: GapFlag, **extra: Any) -> dict[str, Any]:
    cell = found.cell
    can_manage = service.can_manage(current_user)
    return {
        "flag": found,
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "events": queries.timeline(found),
        "can_manage": can_manage,
        "actions": [a.value for a in service.allowed_actions(found)] if can_manage else [],
        "blank": FlagActionForm(formdata=None),
        "people": people.active_people() if can_manage else [],
        **extra,
    }

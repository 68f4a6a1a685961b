"""Gap flags: a cell's flags and the raise form, one flag with its timeline and the
manager's actions, and a grid's open flags."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as people
from grid_app.errors import DomainError, EditConflict, Invalid
from grid_app.gaps import queries, service
from grid_app.gaps.forms import FlagActionForm, FlagFilterForm, RaiseFlagForm
from grid_app.gaps.models import (
    SEVERITY_LABELS,
    STATUS_LABELS,
    STEP_WORDS,
    GapFlag,
    GapFlagEvent,
    GapStatus,
)
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Cell
from grid_app.web import htmx
from grid_app.web.writes import write

bp = Blueprint("gaps", __name__)


@bp.record_once
def _show_flags_on_cells(_state: BlueprintSetupState) -> None:
    grid_queries.register_cell_extension(queries.cell_badges, queries.cell_page_link)
    grid_queries.register_feed_source(queries.feed_entries)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "severity_labels": SEVERITY_LABELS,
        "status_labels": STATUS_LABELS,
        "step_words": STEP_WORDS,
        "action_labels": service.ACTION_LABELS,
        "step_hints": service.STEP_HINTS,
        "note_hint": service.NOTE_HINT,
    }


@bp.route("/cells/<int:cell_id>/flags", methods=["GET", "POST"])
def cell_flags(cell_id: int) -> Response:
    """A cell's flags and the form to flag a gap; the form swaps the list in place."""
    cell = grid_queries.cell_by_id(cell_id)
    form = RaiseFlagForm()
    if request.method == "GET":
        return htmx.render("gaps/cell_flags.html", "gaps/_flags.html", **_cell_context(cell, form))

    def raised(flag: GapFlag) -> Response:
        if htmx.wants_fragment():
            return htmx.render(
                "gaps/_flags.html",
                **_cell_context(
                    grid_queries.cell_by_id(cell_id), RaiseFlagForm(formdata=None), raised=flag
                ),
            )
        flash("The gap has been flagged. A manager will triage it.", "success")
        return htmx.redirect_after_post(url_for("gaps.cell_flags", cell_id=cell_id))

    def invalid(error: Invalid) -> Response:
        return htmx.render(
            "gaps/cell_flags.html",
            "gaps/_flags.html",
            status=422,
            **_cell_context(grid_queries.cell_by_id(cell_id), form, error=error.message),
        )

    return write(
        lambda: service.raise_flag(
            current_user,
            cell,
            what_is_missing=form.what_is_missing.data or "",
            severity=form.severity.data or "",
        ),
        raised,
        form=form,
        invalid=invalid,
    )


@bp.get("/flags/<int:flag_id>")
def flag(flag_id: int) -> Response:
    """One flag: what is missing, who owns it, its timeline and the manager's actions."""
    flag = queries.flag_by_id(flag_id)
    return htmx.render("gaps/flag.html", "gaps/_flag.html", **_flag_context(flag))


@bp.post("/flags/<int:flag_id>/triage")
def triage(flag_id: int) -> Response:
    """Acknowledge, assign, start, resolve, close as won't fix, or reopen a flag: the flag
    page's one form, with the next step chosen among the allowed ones and its fields."""
    queries.flag_by_id(flag_id)
    service.require_manage(current_user)
    form = FlagActionForm()
    form.require_version()
    try:
        chosen = service.Action(form.step.data or "")
    except ValueError:
        form.step.errors = ["Choose the next step for this gap."]
        return _refused(flag_id, None, form, 422, "Nothing was changed.")
    # A step the flag's status does not allow is refused by the service, with the reason.
    return _take_step(flag_id, chosen, form)


def _take_step(flag_id: int, chosen: service.Action, form: FlagActionForm) -> Response:
    """Move the flag on by ``chosen`` with what the form holds; the flag page answers."""
    flag = queries.flag_by_id(flag_id)
    version = form.require_version()
    if not form.due_date.validate(form):
        form.due_date.errors = ["Enter a real date, like 2027-03-31."]
        return _refused(flag_id, chosen, form, 422, "Nothing was changed.")

    def done(_step: GapFlagEvent) -> Response:
        if htmx.wants_fragment():
            return htmx.render(
                "gaps/_flag.html", **_flag_context(queries.flag_by_id(flag_id), done=chosen)
            )
        flash(f"The gap flag is now {service.STATUS_WORDS[GapStatus(flag.status)]}.", "success")
        return htmx.redirect_after_post(url_for("gaps.flag", flag_id=flag_id))

    def refused(error: DomainError) -> Response:
        status = 409 if isinstance(error, EditConflict) else 422
        return _refused(flag_id, chosen, form, status, error.message)

    return write(
        lambda: service.change(
            current_user,
            flag,
            chosen,
            expected_version=version,
            note=form.note.data or "",
            owner_id=form.owner_id() if chosen is service.Action.ASSIGN else None,
            due_date=form.due_date.data,
        ),
        done,
        form=form,
        invalid=refused,
        conflict=refused,
    )


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


def _refused(
    flag_id: int, action: service.Action | None, form: FlagActionForm, status: int, message: str
) -> Response:
    """The flag as it is now, with the triage form keeping the step chosen and what was typed."""
    flag = queries.flag_by_id(flag_id)
    form.version.data = str(flag.version)
    return htmx.render(
        "gaps/flag.html",
        "gaps/_flag.html",
        status=status,
        **_flag_context(
            flag, failed=action.value if action else "", failed_form=form, error=message
        ),
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


def _flag_context(flag: GapFlag, **extra: Any) -> dict[str, Any]:
    cell = flag.cell
    can_manage = service.can_manage(current_user)
    return {
        "flag": flag,
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "grid": cell.row.grid,
        "events": queries.timeline(flag),
        "can_manage": can_manage,
        "actions": [a.value for a in service.allowed_actions(flag)] if can_manage else [],
        "blank": FlagActionForm(formdata=None),
        "people": people.active_people() if can_manage else [],
        **extra,
    }

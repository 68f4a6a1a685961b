"""The grid page and editing a cell in place (htmx) or on its own page (no JavaScript)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, stream_with_context, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app import localtime
from grid_app.audit import service as audit
from grid_app.auth import queries as people
from grid_app.database import utcnow
from grid_app.errors import EditConflict, Invalid
from grid_app.grid import cellcache, csvout, diff, queries, service, structure
from grid_app.grid.forms import (
    AsOfForm,
    CellForm,
    FeedFilterForm,
    SaveForm,
    StructureForm,
    VersionForm,
    choices,
    new_save_key,
)
from grid_app.grid.models import Cell, CellRevision, GridChange
from grid_app.web import htmx, params
from grid_app.web.authz import safe_next
from grid_app.web.templating import when
from grid_app.web.writes import commit, write

bp = Blueprint("grid", __name__)


@bp.get("/")
def home() -> Response:
    """Open the default grid."""
    return redirect(url_for("grid.show", slug=queries.default_grid().slug))


@bp.get("/grids/<slug>")
def show(slug: str) -> Response:
    """Every service area against every column."""
    grid = queries.grid_by_slug(slug)
    view = queries.grid_view(grid)
    row_address = url_for("grid.show", slug=grid.slug)
    return htmx.render(
        "grid/show.html",
        view=view,
        cursor=queries.cursor(grid),
        can_edit=service.can_edit_cells(current_user),
        can_change_structure=structure.can_change_structure(current_user),
        expanded_row=request.args.get("open", type=int),
        row_address=row_address,
        grid_rows=partial(cellcache.grid_rows, cellcache.drawings(), row_address),
        now=utcnow(),
    )


@bp.get("/cells/<int:cell_id>")
def cell(cell_id: int) -> Response:
    """A cell on its own page; as a fragment, the cell's display (used to cancel an edit)."""
    cell = queries.cell_by_id(cell_id)
    return htmx.render(
        "grid/cell.html", "grid/_cell.html", **_cell_context(cell), links=queries.cell_links(cell)
    )


@bp.get("/cells/<int:cell_id>/edit")
def edit(cell_id: int) -> Response:
    """The edit form, in place (fragment) or as a page that works without JavaScript."""
    cell = queries.cell_by_id(cell_id)
    service.require_edit_cells(current_user)
    form = CellForm(text=cell.text, version=str(cell.version), owners=_owner_ids(cell))
    return htmx.render(
        "grid/edit.html", "grid/_cell_form.html", **_cell_context(cell, form=form, editing=True)
    )


@bp.post("/cells/<int:cell_id>")
def save(cell_id: int) -> Response:
    """Save a cell from the version the person started from; conflicts keep their text."""
    cell = queries.cell_by_id(cell_id)
    form = CellForm()
    # Only an owner column's form names people; a text cell's save does not read them all.
    if cell.column.holds_people:
        form.owners.choices = choices((p.id, p.display_name) for p in people.active_people())
    version = form.require_version()

    def saved(_revision: object) -> Response:
        if htmx.wants_fragment():
            # The cell alone: not the page's row owners or review form, which it never shows.
            return htmx.render("grid/_cell.html", **_cell_shown(cell), saved=True)
        return htmx.redirect_after_post(
            url_for("grid.show", slug=cell.row.grid.slug, _anchor=f"cell-{cell.id}")
        )

    def invalid(error: Invalid) -> Response:
        return htmx.render(
            "grid/edit.html",
            "grid/_cell_form.html",
            status=422,
            **_cell_context(
                queries.cell_by_id(cell_id), form=form, editing=True, error=error.message
            ),
        )

    def conflict(error: EditConflict) -> Response:
        return _conflict(cell_id, form, error, typed=service.normalise_text(form.text.data or ""))

    return write(
        lambda: service.save_cell(
            current_user,
            cell,
            expected_version=version,
            text=form.text.data or "",
            owner_ids=form.owners.data if cell.column.holds_people else None,
            summary=form.summary.data or "",
            key=form.key(),
        ),
        saved,
        form=form,
        invalid=invalid,
        conflict=conflict,
    )


@bp.post("/cells/<int:cell_id>/review")
def review(cell_id: int) -> Response:
    """Mark a cell reviewed (managers, admins): a "review" revision, the cell unchanged."""
    cell = queries.cell_by_id(cell_id)
    version = VersionForm().require_version()
    back = safe_next(request.form.get("next") or url_for("grid.cell", cell_id=cell_id))

    def reviewed(_revision: object) -> Response:
        flash(f"Marked {cell.column.name.lower()} for {cell.row.name} as reviewed.", "success")
        return htmx.redirect_after_post(back)

    def conflict(error: EditConflict) -> Response:
        current = queries.cell_by_id(cell_id)
        return htmx.render(
            "grid/cell.html",
            status=409,
            **_cell_context(current),
            links=queries.cell_links(current),
            review_error=error.message,
        )

    return write(
        lambda: service.review_cell(current_user, cell, expected_version=version),
        reviewed,
        conflict=conflict,
    )


def _conflict(cell_id: int, form: CellForm, error: EditConflict, *, typed: str) -> Response:
    """The cell as it is now beside what the person wanted it to say (409)."""
    cell = queries.cell_by_id(cell_id)
    form.version.data = str(cell.version)
    # The merged text is a new save: a key of its own, so it is never mistaken for a repeat.
    form.save_key.data = new_save_key()
    return htmx.render(
        "grid/conflict.html",
        "grid/_cell_conflict.html",
        status=409,
        **_cell_context(
            cell,
            form=form,
            editing=True,
            error=error.message,
            changes=diff.word_diff(cell.text, typed),
        ),
    )


def _owner_ids(cell: Cell) -> list[int]:
    return [owner.id for owner in cell.owners]


def _cell_shown(cell: Cell) -> dict[str, Any]:
    """What grid/_cell.html shows of a cell."""
    return {
        "cell": cell,
        "row": cell.row,
        "column": cell.column,
        "badges": queries.badges_on(cell),
        "can_edit": service.can_edit_cells(current_user),
    }


def _cell_context(cell: Cell, form: CellForm | None = None, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        **_cell_shown(cell),
        "grid": cell.row.grid,
        "owners": queries.row_owners(cell.row),
        "can_review": service.can_review_cells(current_user),
        "form": form,
        **extra,
    }
    if form is not None and cell.column.holds_people:
        form.owners.choices = choices((p.id, p.display_name) for p in people.active_people())
    return context


# --- History -------------------------------------------------------------------------


@bp.get("/cells/<int:cell_id>/history")
def history(cell_id: int) -> Response:
    """Every revision of a cell, newest first, a page at a time."""
    cell = queries.cell_by_id(cell_id)
    page = queries.cell_history(cell, params.int_arg("before", minimum=1))
    owners = queries.people_by_id(i for r in page.revisions for i in r.owner_ids)
    return htmx.render("grid/history.html", **_cell_context(cell), page=page, names=owners)


@bp.get("/revisions/compare")
def compare() -> Response:
    """The word-level difference between two revisions of one cell."""
    new = queries.revision_by_id(params.int_arg("to") or abort_missing("to"))
    from_id = params.int_arg("from")
    old = queries.revision_by_id(from_id) if from_id else queries.previous_revision(new)
    if old is not None and old.cell_id != new.cell_id:
        abort(422, "Those two revisions belong to different cells, so they cannot be compared.")
    if old is not None and old.number > new.number:
        old, new = new, old
    names = queries.people_by_id([*new.owner_ids, *(old.owner_ids if old else [])])
    return htmx.render(
        "grid/compare.html",
        **_cell_context(new.cell),
        old=old,
        new=new,
        names=names,
        changes=diff.word_diff(old.text if old else "", new.text),
        restore_form=SaveForm(version=str(new.cell.version)),
        # Restoring what the cell already holds would change nothing: no button for it.
        current=[r for r in (new, old) if r is not None and _holds(new.cell, r)],
    )


def _holds(cell: Cell, revision: CellRevision) -> bool:
    """Whether ``cell`` holds now exactly what ``revision`` recorded (text and people)."""
    return revision.text == cell.text and sorted(revision.owner_ids) == sorted(
        owner.id for owner in cell.owners
    )


@bp.post("/revisions/<int:revision_id>/restore")
def restore(revision_id: int) -> Response:
    """Make an old revision current again, as a new revision; a stale page is a conflict."""
    revision = queries.revision_by_id(revision_id)
    form = SaveForm()
    version = form.require_version()

    def restored(new: CellRevision | None) -> Response:
        if new is None:
            flash(f"Revision {revision.number} is already what the cell says.", "info")
        else:
            flash(f"Restored revision {revision.number} as revision {new.number}.", "success")
        return htmx.redirect_after_post(url_for("grid.history", cell_id=revision.cell_id))

    def conflict(error: EditConflict) -> Response:
        form = CellForm(text=revision.text, owners=list(revision.owner_ids))
        return _conflict(revision.cell_id, form, error, typed=revision.text)

    return write(
        lambda: service.restore_revision(
            current_user, revision, expected_version=version, key=form.key()
        ),
        restored,
        conflict=conflict,
    )


@bp.get("/grids/<slug>/as-of")
def as_of(slug: str) -> Response:
    """The grid, read-only, as it stood at a moment in the past."""
    grid = queries.grid_by_slug(slug)
    form = AsOfForm(request.args if "at" in request.args else None)
    at = utcnow()
    # People type and read local time; the history is kept in UTC.
    if "at" not in request.args:
        form.at.data = localtime.to_local(at).replace(second=0, microsecond=0)
    elif not form.validate() or form.at.data is None:
        form.at.errors = [
            f"Enter a date and time in {localtime.zone_name()}, like 2026-03-31T17:00."
        ]
    elif localtime.to_utc(form.at.data) > at:
        form.at.errors = ["That is in the future. Choose a time up to now."]
    elif localtime.to_utc(form.at.data) < grid.created_at.replace(second=0, microsecond=0):
        form.at.errors = [f"The grid did not exist before {when(grid.created_at)}."]
    else:
        at = localtime.to_utc(form.at.data)
    if form.at.errors:
        return htmx.render("grid/as_of.html", status=422, grid=grid, form=form, past=None)
    past = queries.grid_as_of(grid, at)
    names = queries.people_by_id(i for r in past.revisions.values() for i in r.owner_ids)
    return htmx.render(
        "grid/as_of.html", grid=grid, form=form, past=past, names=names, now=utcnow()
    )


@bp.get("/grids/<slug>/activity")
def activity(slug: str) -> Response:
    """Every change to the grid's cells and structure, filterable, newest first."""
    grid = queries.grid_by_slug(slug)
    form = FeedFilterForm(request.args)
    rows, columns = queries.grid_structure(grid)
    form.person.choices = choices(
        [("", "Anyone")] + [(str(p.id), p.display_name) for p in people.everyone()]
    )
    form.row.choices = choices([("", "Any service area")] + [(str(r.id), r.name) for r in rows])
    form.column.choices = choices([("", "Any column")] + [(str(c.id), c.name) for c in columns])
    filters = _feed_filters(form)
    try:
        before = _feed_cursor("before")
        after = None if before else _feed_cursor("after")
    except queries.BadCursor:
        return htmx.render(
            "grid/activity.html",
            status=400,
            grid=grid,
            form=form,
            feed=None,
            cursor_error="That page link is broken. Start again from the newest changes.",
            can_undo=False,
        )
    if filters is None:
        return htmx.render(
            "grid/activity.html",
            status=422,
            grid=grid,
            form=form,
            feed=None,
            can_undo=structure.can_change_structure(current_user),
        )
    return htmx.render(
        "grid/activity.html",
        grid=grid,
        form=form,
        feed=queries.feed(grid, filters, before=before, after=after),
        can_undo=structure.can_change_structure(current_user),
        undo_form=VersionForm(version=str(grid.structure_version)),
        query={k: v for k, v in request.args.items() if k not in FEED_CURSORS and v},
    )


# The activity feed's page links; every other query-string key is a filter.
FEED_CURSORS = ("before", "after", "page")


def _feed_cursor(name: str) -> queries.FeedCursor | None:
    raw = request.args.get(name, "")
    return queries.FeedCursor.decode(raw) if raw else None


def _feed_filters(form: FeedFilterForm) -> queries.FeedFilters | None:
    """The filters the form asks for, or None (with errors on the form) if malformed."""
    form.validate()
    chosen: dict[str, int | None] = {}
    for name in ("person", "row", "column"):
        field = getattr(form, name)
        valid = {choice.value for choice in field.choices}
        if (field.data or "") not in valid:
            field.errors = [f"Choose a {field.label.text.lower()} from the list."]
        chosen[name] = int(field.data) if field.data and field.data in valid else None
    since, until = form.since.data, form.until.data
    if since and until and since > until:
        form.until.errors = ["The end date must be on or after the start date."]
    if any(f.errors for f in form):
        return None
    return queries.FeedFilters(
        person_id=chosen["person"],
        row_id=chosen["row"],
        column_id=chosen["column"],
        since=datetime.combine(since, time()) if since else None,
        until=datetime.combine(until + timedelta(days=1), time()) if until else None,
    )


@bp.route("/grids/<slug>/structure", methods=["GET", "POST"])
def structure_page(slug: str) -> Response:
    """Admins add, rename, reorder, archive and restore service areas and columns."""
    grid = queries.grid_by_slug(slug)
    structure.require_change_structure(current_user)
    form = StructureForm()

    def page(status: int = 200, error: str | None = None) -> Response:
        rows, columns = queries.grid_structure(queries.grid_by_slug(slug))
        return htmx.render(
            "grid/structure.html",
            status=status,
            grid=grid,
            rows=rows,
            columns=columns,
            form=form,
            error=error,
            failed_target=(form.target.data or form.action.data) if error else None,
            status_conflict=status == 409,
        )

    if request.method == "GET":
        return page()
    version = form.require_version()

    def changed(change: GridChange) -> Response:
        flash(_sentence(describe_change(change)), "success")
        return htmx.redirect_after_post(url_for("grid.structure_page", slug=slug))

    return write(
        lambda: structure.apply(
            current_user,
            grid,
            expected_version=version,
            action=form.action.data or "",
            target=form.target.data or "",
            name=form.name.data or "",
            column_kind=form.kind.data or "text",
        ),
        changed,
        invalid=lambda error: page(422, error.field_errors.get("name", error.message)),
        conflict=lambda error: page(409, error.message),
    )


@bp.post("/grids/<slug>/changes/<int:change_id>/undo")
def undo(slug: str, change_id: int) -> Response:
    """Undo a structural change (admins); it becomes a new change in the feed."""
    grid = queries.grid_by_slug(slug)
    change = queries.grid_change(grid, change_id)
    version = VersionForm().require_version()

    def undone(new: GridChange) -> Response:
        flash(_sentence(f"Undone: {describe_change(change)}, so {describe_change(new)}"), "success")
        return htmx.redirect_after_post(url_for("grid.activity", slug=slug))

    return write(
        lambda: structure.undo(current_user, grid, expected_version=version, change=change),
        undone,
    )


@bp.get("/grids/<slug>/updates")
def updates(slug: str) -> Response:
    """The live poll: 204 when nothing changed, else the changed cells as out-of-band swaps."""
    if not htmx.wants_fragment():
        return redirect(url_for("grid.show", slug=slug))
    seen = queries.Cursor(
        params.int_arg("after", default=0) or 0, params.int_arg("structure", default=0) or 0
    )
    now = queries.cursor_by_slug(slug)
    if now == seen:
        return htmx.no_content()
    grid = queries.grid_by_slug(slug)
    layout_changed = now.structure_version != seen.structure_version
    cells = (
        []
        if layout_changed
        else queries.cells_changed_since(grid, seen.revision_id, current_user.id)
    )
    return htmx.render(
        "grid/_updates.html",
        grid=grid,
        cursor=now,
        cells=cells,
        layout_changed=layout_changed,
        can_edit=service.can_edit_cells(current_user),
    )


@bp.get("/cells/<int:cell_id>/history.csv")
def cell_history_csv(cell_id: int) -> Response:
    """Download a cell's whole history as CSV."""
    cell = queries.cell_by_id(cell_id)
    commit(lambda: audit.record(current_user, "history.exported", "cell", cell.id))
    cell = queries.cell_by_id(cell_id)
    return _csv(f"cell-{cell.id}-history.csv", queries.history_rows(cell.row.grid, cell))


@bp.get("/grids/<slug>/history.csv")
def grid_history_csv(slug: str) -> Response:
    """Download the whole grid's history as CSV."""
    grid = queries.grid_by_slug(slug)
    commit(lambda: audit.record(current_user, "history.exported", "grid", grid.id))
    grid = queries.grid_by_slug(slug)
    return _csv(f"{grid.slug}-history.csv", queries.history_rows(grid))


def _csv(filename: str, rows: Iterator[list[Any]]) -> Response:
    body = stream_with_context(csvout.lines(queries.HISTORY_CSV_HEADER, rows))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def abort_missing(name: str) -> int:
    """Stop with a 400 naming a required query parameter that is missing."""
    abort(400, f"“{name}” is needed.")


@bp.app_template_global("describe_change")
def describe_change(change: GridChange) -> str:
    """What a structural change did, as words: "renamed column “A” to “B”"."""
    part = change.row or change.column
    label = "service area" if change.row_id else "column"
    name = part.name if part else "(removed)"
    verb = change.kind.split(".")[1]
    if verb == "renamed":
        return f"renamed {label} “{change.before['name']}” to “{change.after['name']}”"
    return f"{verb} {label} “{name}”"


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:] + "."

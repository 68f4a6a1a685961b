"""Export and import: the exchange page, downloads, the import preview and applying it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_login import current_user
from werkzeug import Response
from werkzeug.exceptions import RequestEntityTooLarge

from grid_app.errors import Forbidden, Invalid
from grid_app.exchange import cli, importer, service, sharing, spreadsheets
from grid_app.exchange.forms import ApplyForm, CategoriesForm, ImportForm, SharingForm
from grid_app.exchange.models import CATEGORY_LABELS, ImportUpload
from grid_app.extensions import db
from grid_app.grid import queries as grid_queries
from grid_app.grid.models import Grid
from grid_app.web import htmx
from grid_app.web.errors import error_response
from grid_app.web.writes import commit, write

bp = Blueprint("exchange", __name__, cli_group=None)


@bp.record_once
def _register_commands(_state: BlueprintSetupState) -> None:
    for command in cli.COMMANDS:
        bp.cli.add_command(command)


@bp.app_template_global("can_exchange")
def _can_exchange() -> bool:
    return current_user.is_authenticated and service.can_exchange(current_user)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    # Raised while reading the upload, before anything is written.
    limit = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return error_response(
        413,
        f"The file is larger than {limit} MB, so nothing was imported. Split the spreadsheet "
        "into smaller files, or remove pictures and other sheets from it, then upload again.",
    )


@bp.get("/exchange")
def home() -> Response:
    """The default grid's export and import page (the site navigation links here)."""
    service.require_exchange(current_user)
    return redirect(url_for("exchange.page", slug=grid_queries.default_grid().slug))


@bp.get("/grids/<slug>/exchange")
def page(slug: str) -> Response:
    """What can be downloaded, the import form and the sharing categories."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    return _page(grid, ImportForm(formdata=None))


def _page(
    grid: Grid,
    form: ImportForm,
    status: int = 200,
    error: str = "",
    sharing_form: SharingForm | None = None,
) -> Response:
    view = service.live_view(grid)
    return htmx.render(
        "exchange/page.html",
        status=status,
        grid=grid,
        rows=view.rows,
        form=form,
        error=error,
        sharing_form=sharing_form
        or SharingForm(formdata=None, authority=current_app.config["AUTHORITY_NAME"]),
        categories=service.row_categories(grid),
        category_labels=CATEGORY_LABELS,
        tags_form=CategoriesForm(formdata=None),
        history_limit=service.HISTORY_SHEET_MAX,
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
        max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024),
    )


# --- Downloads ----------------------------------------------------------------------

CSV_TYPE = "text/csv"


def _download(body: bytes | Iterable[str], mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/grids/<slug>/export/grid.<fmt>")
def export_grid(slug: str, fmt: str) -> Response:
    """The grid as CSV, or as a workbook with its open gaps and newest changes."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    if fmt == "csv":
        lines = commit(lambda: service.grid_csv(current_user, grid))
        return _download(lines, CSV_TYPE, service.filename(grid, "grid", "csv"))
    if fmt == "xlsx":
        data = commit(lambda: service.grid_xlsx(current_user, grid))
        return _download(data, spreadsheets.XLSX_TYPE, service.filename(grid, "grid", "xlsx"))
    abort(404, "There is no such download.")


@bp.get("/grids/<slug>/export/gaps.<fmt>")
def export_gaps(slug: str, fmt: str) -> Response:
    """The grid's open gaps as CSV or as a workbook."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    if fmt == "csv":
        lines = commit(lambda: service.gaps_csv(current_user, grid))
        return _download(lines, CSV_TYPE, service.filename(grid, "open-gaps", "csv"))
    if fmt == "xlsx":
        data = commit(lambda: service.gaps_xlsx(current_user, grid))
        name = service.filename(grid, "open-gaps", "xlsx")
        return _download(data, spreadsheets.XLSX_TYPE, name)
    abort(404, "There is no such download.")


@bp.get("/grids/<slug>/export/sharing-practice.<fmt>")
def export_sharing(slug: str, fmt: str) -> Response:
    """The sharing-practice document as Word or Markdown, for the authority named."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    if fmt not in ("docx", "md"):
        abort(404, "There is no such download.")
    form = SharingForm(request.args)
    authority = form.authority.data if "authority" in request.args else None
    if authority is None:
        authority = current_app.config["AUTHORITY_NAME"]
    name = service.filename(grid, "sharing-practice", fmt)

    def download(document: sharing.SharingDocument) -> Response:
        if fmt == "docx":
            return _download(sharing.to_docx(document), sharing.DOCX_TYPE, name)
        return _download(sharing.to_markdown(document), "text/markdown; charset=utf-8", name)

    def invalid(error: Invalid) -> Response:
        form.authority.errors = [error.field_errors.get("authority", error.message)]
        return _page(grid, ImportForm(formdata=None), 422, error.message, sharing_form=form)

    return write(lambda: sharing.build(current_user, grid, authority), download, invalid=invalid)


# --- Sharing categories ---------------------------------------------------------------


@bp.post("/grids/<slug>/categories")
def set_categories(slug: str) -> Response:
    """Tag the grid's service areas with the categories they are shared in."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    CategoriesForm()  # CSRF is checked app-wide; the checkboxes are read by name.
    chosen: dict[int, list[str]] = {}
    for key in request.form:
        if key.startswith("row-") and key[4:].isdigit():
            chosen[int(key[4:])] = [v for v in request.form.getlist(key) if v]

    def saved(changed: dict[int, set[str]]) -> Response:
        count = len(changed)
        if count:
            flash(
                f"Sharing categories saved for {count} service area{'s' * (count != 1)}.",
                "success",
            )
        else:
            flash("No sharing categories changed.", "success")
        return htmx.redirect_after_post(url_for("exchange.page", slug=slug) + "#sharing")

    return write(
        lambda: service.set_categories(current_user, grid, chosen),
        saved,
        invalid=lambda error: _page(grid, ImportForm(formdata=None), 422, error.message),
    )


# --- Import -------------------------------------------------------------------------


@bp.post("/grids/<slug>/import")
def upload(slug: str) -> Response:
    """Keep an uploaded spreadsheet and show what importing it would do."""
    grid = grid_queries.grid_by_slug(slug)
    service.require_exchange(current_user)
    form = ImportForm()
    file = form.file.data
    if file is None or not getattr(file, "filename", ""):
        form.file.errors = ["Choose a spreadsheet to import."]
        return _page(grid, form, 422, "Choose a spreadsheet to import.")
    target = None if form.target.data == "new" else grid

    def refused(error: Forbidden) -> Response:
        form.target.errors = [error.message]
        return _page(grid, form, 403, error.message)

    return write(
        lambda: importer.store(
            current_user, target, file.filename, file.read(), form.new_grid_name.data or ""
        ),
        lambda stored: htmx.redirect_after_post(url_for("exchange.preview", token=stored.id)),
        form=form,
        invalid=lambda error: _page(grid, form, 422, error.message),
        forbidden=refused,
    )


@bp.get("/imports/<token>")
def preview(token: str) -> Response:
    """What the import would add and change, with the button to apply it."""
    service.require_exchange(current_user)
    return _preview(importer.upload_for(current_user, token))


def _preview(upload: ImportUpload, status: int = 200, **extra: Any) -> Response:
    try:
        result = importer.preview(current_user, upload)
    except Invalid as error:
        return error_response(422, error.message)
    home = db.session.get(Grid, upload.grid_id) if upload.grid_id else None
    return htmx.render(
        "exchange/preview.html",
        status=status,
        upload=upload,
        preview=result,
        back_grid=home or grid_queries.default_grid(),
        form=ApplyForm(formdata=None, base=result.base),
        **extra,
    )


@bp.post("/imports/<token>")
def apply(token: str) -> Response:
    """Apply the previewed import; if the grid moved on meanwhile, show a fresh preview."""
    service.require_exchange(current_user)
    upload = importer.upload_for(current_user, token)
    form = ApplyForm()

    # The preview's form says it offers a choice; an unticked box sends nothing.
    chosen = set(request.form.getlist("apply")) if request.form.get("choosing") else None

    def applied(outcome: importer.Outcome) -> Response:
        message = (
            f"Imported: {outcome.cells_changed} cell{'s' * (outcome.cells_changed != 1)} "
            f"changed, {outcome.rows_added} service area{'s' * (outcome.rows_added != 1)} and "
            f"{outcome.columns_added} column{'s' * (outcome.columns_added != 1)} added."
        )
        if outcome.cells_left:
            message += (
                f" {outcome.cells_left} change{'s' * (outcome.cells_left != 1)} you left "
                "unticked stayed as the grid had them."
            )
        flash(" ".join([message, *outcome.skipped]), "success")
        return htmx.redirect_after_post(url_for("grid.show", slug=outcome.grid.slug))

    return write(
        lambda: importer.apply(current_user, upload, base=form.base.data or "", chosen=chosen),
        applied,
        invalid=lambda error: error_response(422, error.message),
        conflict=lambda error: _preview(
            importer.upload_for(current_user, token), 409, conflict=error.message
        ),
    )

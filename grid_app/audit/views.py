"""The audit log (admins): every audited action newest first, filterable, and as CSV.

Reading the log is itself audited, with the filters used, before the page is read, so the
read is the first thing the page shows.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request, stream_with_context
from flask_login import current_user
from werkzeug import Response

from grid_app.audit import actions, queries, service
from grid_app.audit.forms import AuditFilterForm
from grid_app.auth import queries as people
from grid_app.database import utcnow
from grid_app.grid import csvout
from grid_app.web import htmx, reauth
from grid_app.web.writes import commit

bp = Blueprint("audit", __name__)

BROKEN_LINK = "That page link is broken. Start again from the newest events."
# The query-string keys that are filters (the page cursors are not).
FILTER_KEYS = ("person", "action", "date_from", "date_to")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    # base.html shows the "Audit log" link only to admins; sign-in renders for nobody.
    return {"can_view_audit": current_user.is_authenticated and service.can_view(current_user)}


@bp.get("/audit")
def index() -> Response:
    """The log, newest first; the filter form swaps just the list (htmx)."""
    service.require_view(current_user)
    form, filters = _filters()
    try:
        before = _cursor("before")
        after = None if before else _cursor("after")
    except queries.BadCursor:
        return _render(form, None, status=400, cursor_error=BROKEN_LINK)
    if filters is None:
        return _render(form, None, status=400)
    commit(lambda: service.record_viewed(current_user, filters))
    return _render(form, queries.page(filters, before=before, after=after))


@bp.get("/audit.csv")
def export() -> Response:
    """The filtered log as CSV, newest first, streamed; values a spreadsheet would run as a
    formula are prefixed with an apostrophe."""
    service.require_view(current_user)
    form, filters = _filters()
    if filters is None:
        return _render(form, None, status=400)
    held = reauth.hold_back("download the audit log")
    if held:
        return held
    commit(lambda: service.record_exported(current_user, filters))
    body = stream_with_context(csvout.lines(queries.CSV_HEADER, queries.csv_rows(filters)))
    filename = f"audit-log-{utcnow():%Y-%m-%d-%H%M}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _filters() -> tuple[AuditFilterForm, queries.AuditFilters | None]:
    form = AuditFilterForm(request.args)
    form.fill_choices(people.everyone())
    return form, form.filters()


def _cursor(name: str) -> queries.Cursor | None:
    raw = request.args.get(name, "")
    return queries.Cursor.decode(raw) if raw else None


def _render(
    form: AuditFilterForm,
    found: queries.AuditPage | None,
    *,
    status: int = 200,
    cursor_error: str | None = None,
) -> Response:
    query = {key: request.args[key] for key in FILTER_KEYS if request.args.get(key)}
    context: dict[str, Any] = {
        "form": form,
        "found": found,
        "query": query,
        "groups": actions.grouped(),
        "cursor_error": cursor_error,
        "filtered": bool(query),
    }
    if status != 200:
        # htmx swaps no 400, and the messages sit beside the form's fields, outside the
        # swapped list: the whole page is loaded instead.
        page = htmx.render("audit/index.html", status=status, **context)
        return htmx.load_whole_page(page, request.full_path)
    return htmx.render("audit/index.html", "audit/_log.html", **context)

"""The search results page and the suggestions under the header's search box."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, request, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as people
from grid_app.grid import queries as grid_queries
from grid_app.grid import structure
from grid_app.grid.forms import choices
from grid_app.search import queries, syntax
from grid_app.search.forms import MAX_TYPED, SearchForm
from grid_app.web import htmx

bp = Blueprint("search", __name__)

KIND_LABELS: dict[str, str] = {
    "": "Anything",
    queries.Kind.CELL: "Cells",
    queries.Kind.COMMENT: "Comments",
    queries.Kind.FLAG: "Gap flags",
    queries.Kind.HISTORY: "Earlier versions of cells",
}
SORT_LABELS = {queries.Sort.RELEVANCE: "Best match", queries.Sort.NEWEST: "Newest first"}
ONLY_LEAVING_OUT = (
    "Type at least one word to look for. A word with a minus sign in front only leaves things out."
)


@bp.get("/search")
def results() -> Response:
    """What the words find that this person may see, a page at a time."""
    form = SearchForm(request.args)
    _offer_choices(form)
    filters = _filters(form)
    typed = (form.q.data or "").strip()
    sort = queries.Sort(form.sort.data) if form.sort.data in SORT_LABELS else None
    if sort is None:
        form.sort.errors = ["Choose how to sort from the list."]
    query = syntax.parse(typed)
    if typed and query.is_empty and not form.q.errors:
        form.q.errors = [ONLY_LEAVING_OUT]
    context: dict[str, Any] = {"form": form, "typed": typed, "page": None}
    if filters is None or sort is None or form.q.errors:
        return htmx.render("search/results.html", status=422, **context)
    if not typed:
        return htmx.render("search/results.html", **context)
    try:
        after = _cursor(sort)
    except queries.BadCursor:
        context["cursor_error"] = True
        return htmx.render("search/results.html", status=400, **context)
    page = queries.search(current_user, query, filters, sort, after)
    kept = {k: v for k, v in request.args.items(multi=False) if k != "after" and v}
    context["page"] = page
    return htmx.render(
        "search/results.html",
        **context,
        filters=filters,
        first_page=after is not None,
        kept=kept,
        clear_filters=url_for("search.results", q=typed),
    )


@bp.get("/search/suggest")
def suggest() -> Response:
    """A few matches for what is being typed in the header's box. Without JavaScript (or
    with nothing to suggest from) this is the results page."""
    typed = request.args.get("q", "").strip()[:MAX_TYPED]
    if not htmx.wants_fragment():
        return htmx.navigate(url_for("search.results", q=typed))
    query = syntax.parse(typed, typing=True)
    found = queries.suggest(current_user, query) if typed else []
    return htmx.render("search/_suggestions.html", typed=typed, suggestions=found)


def _cursor(sort: queries.Sort) -> queries.Cursor | None:
    raw = request.args.get("after", "")
    return queries.Cursor.decode(raw, sort) if raw else None


def _offer_choices(form: SearchForm) -> None:
    """The filters' options: what exists and this person may see."""
    grids = grid_queries.all_grids()
    rows, columns = [], []
    sees_archived = structure.can_change_structure(current_user)
    for grid in grids:
        grid_rows, grid_columns = grid_queries.grid_structure(grid, live_only=not sees_archived)
        named = (lambda n, g=grid: f"{n} ({g.name})") if len(grids) > 1 else (lambda n: n)
        rows += [(str(r.id), named(r.name)) for r in grid_rows]
        columns += [(str(c.id), named(c.name)) for c in grid_columns]
    form.grid.choices = choices([("", "Any grid")] + [(str(g.id), g.name) for g in grids])
    form.row.choices = choices([("", "Any service area"), *rows])
    form.column.choices = choices([("", "Any column"), *columns])
    form.kind.choices = choices([(str(k), label) for k, label in KIND_LABELS.items()])
    form.person.choices = choices(
        [("", "Anyone")] + [(str(p.id), p.display_name) for p in people.everyone()]
    )
    form.sort.choices = choices([(str(k), label) for k, label in SORT_LABELS.items()])
    if not form.sort.data:
        form.sort.data = queries.Sort.RELEVANCE.value


def _filters(form: SearchForm) -> queries.Filters | None:
    """The filters the form asks for, or None (with errors on the form) if malformed."""
    form.validate()
    if form.q.errors:
        form.q.errors = [f"Search for {MAX_TYPED} characters or fewer."]
    chosen: dict[str, str | None] = {}
    for name in ("grid", "row", "column", "kind", "person"):
        field = getattr(form, name)
        valid = {choice.value for choice in field.choices}
        if (field.data or "") not in valid:
            field.errors = [f"Choose a {field.label.text.lower()} from the list."]
        chosen[name] = field.data if field.data and field.data in valid else None
    since, until = form.since.data, form.until.data
    if since and until and since > until:
        form.until.errors = ["The end date must be on or after the start date."]
    if any(f.errors for f in form if f.name not in ("q", "sort")):
        return None
    number = {k: int(v) if v is not None and k != "kind" else None for k, v in chosen.items()}
    return queries.Filters(
        grid_id=number["grid"],
        row_id=number["row"],
        column_id=number["column"],
        kind=queries.Kind(chosen["kind"]) if chosen["kind"] else None,
        person_id=number["person"],
        since=datetime.combine(since, time()) if since else None,
        until=datetime.combine(until + timedelta(days=1), time()) if until else None,
        history=bool(form.history.data),
    )

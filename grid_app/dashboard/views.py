"""The manager's dashboard, its printable report, and setting the review period."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as people
from grid_app.dashboard import charts, heatmap, queries, service
from grid_app.dashboard.forms import NO_OWNER_CHOICE, ListFilterForm, ReviewPeriodForm
from grid_app.errors import Invalid
from grid_app.grid import queries as grid_queries
from grid_app.grid.forms import choices
from grid_app.grid.models import Grid
from grid_app.web import htmx
from grid_app.web.writes import write

bp = Blueprint("dashboard", __name__)
bp.add_app_template_global(heatmap.heat_row, "heat_row")


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    # base.html shows the "Dashboard" link only to the people who may open it.
    # Pages such as sign-in render for people who are not signed in.
    signed_in = current_user.is_authenticated
    return {"can_view_dashboard": signed_in and service.can_view(current_user)}


def _grid_for_manager(slug: str) -> Grid:
    grid = grid_queries.grid_by_slug(slug)
    service.require_view(current_user)
    return grid


@bp.get("/dashboard")
def home() -> Response:
    """The default grid's dashboard (the site navigation links here)."""
    service.require_view(current_user)
    return redirect(url_for("dashboard.show", slug=grid_queries.default_grid().slug))


@bp.get("/grids/<slug>/dashboard")
def show(slug: str) -> Response:
    """Coverage heatmap, headline figures, filterable lists and charts over time.

    The filter form swaps just the lists (htmx); without JavaScript it reloads the page.
    """
    grid = _grid_for_manager(slug)
    view = queries.coverage(grid)
    form, filters = _filters(view)
    lists = queries.lists(view, filters) if filters else None
    context = _context(view, form, lists)
    if htmx.wants_fragment():
        return htmx.render("dashboard/_lists.html", status=200 if filters else 400, **context)
    weeks = queries.weekly(grid, view.now, open_now=view.headline.open_flags)
    return htmx.render(
        "dashboard/show.html",
        status=200 if filters else 400,
        **context,
        period_form=ReviewPeriodForm(formdata=None, days=str(grid.review_period_days)),
        weeks=weeks,
        coverage_chart=charts.coverage_chart(weeks),
        flags_chart=charts.flags_chart(weeks),
    )


@bp.get("/grids/<slug>/dashboard/report")
def report(slug: str) -> Response:
    """The same figures, heatmap and lists on one page made for printing."""
    grid = _grid_for_manager(slug)
    view = queries.coverage(grid)
    form, filters = _filters(view)
    lists = queries.lists(view, filters) if filters else None
    return htmx.render(
        "dashboard/report.html", status=200 if filters else 400, **_context(view, form, lists)
    )


@bp.post("/grids/<slug>/dashboard/review-period")
def review_period(slug: str) -> Response:
    """Set how long a cell may go unreviewed before the dashboard calls it stale."""
    grid = _grid_for_manager(slug)
    form = ReviewPeriodForm()

    def saved(changed: bool) -> Response:
        days = grid.review_period_days
        if changed:
            flash(f"Cells are now stale after {days:,} day{'s' if days != 1 else ''}.", "success")
        else:
            flash(f"The review period was already {days:,} days.", "info")
        return htmx.redirect_after_post(url_for("dashboard.show", slug=slug))

    def invalid(error: Invalid) -> Response:
        form.days.errors = [error.field_errors.get("days", error.message)]
        view = queries.coverage(grid_queries.grid_by_slug(slug))
        blank = ListFilterForm(formdata=None)
        _fill_choices(blank, view)
        weeks = queries.weekly(view.grid, view.now, open_now=view.headline.open_flags)
        return htmx.render(
            "dashboard/show.html",
            status=400,
            **_context(view, blank, queries.lists(view, queries.ListFilters())),
            period_form=form,
            weeks=weeks,
            coverage_chart=charts.coverage_chart(weeks),
            flags_chart=charts.flags_chart(weeks),
        )

    return write(
        lambda: service.set_review_period(current_user, grid, form.days.data or ""),
        saved,
        invalid=invalid,
    )


def _fill_choices(form: ListFilterForm, view: queries.Coverage) -> None:
    form.row.choices = choices(
        [("", "Any service area")] + [(str(r.id), r.name) for r in view.rows]
    )
    form.column.choices = choices(
        [("", "Any column")] + [(str(c.id), c.name) for c in view.columns]
    )
    form.owner.choices = choices(
        [("", "Anyone"), NO_OWNER_CHOICE]
        + [(str(p.id), p.display_name) for p in people.active_people()]
    )


def _filters(view: queries.Coverage) -> tuple[ListFilterForm, queries.ListFilters | None]:
    """The filter form, and the filters it asks for (None, with errors, if malformed)."""
    form = ListFilterForm(request.args)
    _fill_choices(form, view)
    for field in (form.row, form.column, form.owner, form.severity, form.sort):
        valid = {choice.value for choice in field.choices or []}
        if (field.data or "") not in valid:
            field.errors = [f"Choose a {field.label.text.lower()} from the list."]
    if any(f.errors for f in form):
        return form, None
    owner: int | str | None = form.owner.data or None
    if owner and owner != queries.NO_OWNER:
        owner = int(owner)
    return form, queries.ListFilters(
        row_id=int(form.row.data) if form.row.data else None,
        column_id=int(form.column.data) if form.column.data else None,
        owner=owner,
        severity=form.severity.data or "",
        sort=queries.FlagSort(form.sort.data or queries.FlagSort.SEVERITY.value),
    )


def _context(
    view: queries.Coverage, form: ListFilterForm, lists: queries.Lists | None
) -> dict[str, Any]:
    return {
        "grid": view.grid,
        "view": view,
        "headline": view.headline,
        "form": form,
        "lists": lists,
        "today": view.now.date(),
        "query": {k: v for k, v in request.args.items() if v},
    }

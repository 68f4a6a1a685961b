"""The People pages (admins): the list, one person's page, roles and deactivation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, request, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as auth_queries
from grid_app.auth.models import Role, User
from grid_app.errors import DomainError, EditConflict
from grid_app.people import queries, service
from grid_app.people.forms import (
    ROLE_HINTS,
    ROLE_LABELS,
    PeopleFilterForm,
    RolesForm,
)
from grid_app.web import htmx, params
from grid_app.web.writes import write

bp = Blueprint("people", __name__)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    # base.html shows the "People" link only to admins; sign-in renders for nobody.
    return {"can_manage_people": current_user.is_authenticated and service.can_manage(current_user)}


@bp.get("/people")
def index() -> Response:
    """Everyone, searchable and filterable; the filter form swaps just the list (htmx)."""
    service.require_manage(current_user)
    form = PeopleFilterForm(request.args)
    page_number = params.int_arg("page", default=1, minimum=1) or 1
    valid = form.validate()
    found = (
        queries.people_page(
            queries.PeopleFilters(
                search=(form.q.data or "").strip(),
                role=Role(form.role.data) if form.role.data else None,
                status=form.status.data or "",
            ),
            page_number,
        )
        if valid
        else None
    )
    context = {
        "form": form,
        "found": found,
        "query": {k: v for k, v in request.args.items() if k != "page" and v},
        "role_labels": ROLE_LABELS,
    }
    if not valid:
        # htmx swaps no 400, and the messages sit beside the form's fields, outside the
        # swapped list: the whole page is loaded instead.
        page = htmx.render("people/index.html", status=400, **context)
        return htmx.load_whole_page(page, request.full_path)
    return htmx.render("people/index.html", "people/_list.html", **context)


@bp.get("/people/<int:user_id>")
def show(user_id: int) -> Response:
    """One person: roles to change, deactivate or reactivate, and what they own."""
    service.require_manage(current_user)
    user = queries.person(user_id)
    return _page(user, RolesForm(formdata=None))


@bp.post("/people/<int:user_id>/roles")
def roles(user_id: int) -> Response:
    """Give the person exactly the ticked roles; the form swaps in place (htmx)."""
    service.require_manage(current_user)
    user = queries.person(user_id)
    form = RolesForm()

    def done(changed: User) -> Response:
        if htmx.wants_fragment():
            return htmx.render(
                "people/_roles.html",
                **_roles_context(changed, RolesForm(formdata=None), saved=True),
            )
        flash(f"{changed.display_name}’s roles have been saved.", "success")
        return htmx.redirect_after_post(url_for("people.show", user_id=user_id))

    def refused(error: DomainError) -> Response:
        status = 409 if isinstance(error, EditConflict) else 422
        # Re-read: the refused change was rolled back, and the page shows what holds now.
        fresh = queries.person(user_id)
        conflict = error.message if status == 409 else None
        return _page(fresh, form, status=status, conflict=conflict, fragment="people/_roles.html")

    return write(
        lambda: service.set_roles(current_user, user, form.roles.data or [], expected=form.seen()),
        done,
        form=form,
        invalid=refused,
        conflict=refused,
    )


@bp.post("/people/<int:user_id>/deactivate")
def deactivate(user_id: int) -> Response:
    """Stop the person signing in and end all their sessions at once."""
    return _change_status(user_id, service.deactivate, "{name} has been deactivated.")


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response:
    """Let a deactivated person sign in again."""
    return _change_status(user_id, service.reactivate, "{name} can sign in again.")


def _change_status(user_id: int, action: Callable[[User, User], object], message: str) -> Response:
    """Deactivate or reactivate, then back to the person's page (the whole page with htmx)."""
    service.require_manage(current_user)
    user = queries.person(user_id)

    def done(_result: object) -> Response:
        flash(message.format(name=user.display_name), "success")
        return htmx.navigate_after_post(url_for("people.show", user_id=user_id))

    return write(
        lambda: action(current_user, user),
        done,
        invalid=lambda error: _page(
            queries.person(user_id),
            RolesForm(formdata=None),
            status=422,
            status_error=error.field_errors.get("active", error.message),
        ),
    )


@bp.post("/people/<int:user_id>/sessions/end")
def end_sessions(user_id: int) -> Response:
    """Sign the person out of every browser (on one's own page, of every other one)."""
    service.require_manage(current_user)
    user = queries.person(user_id)

    def done(ended: int) -> Response:
        plural = "browser" if ended == 1 else "browsers"
        if ended == 0:
            message = f"{user.display_name} was not signed in anywhere."
            if user.id == current_user.id:
                message = "You were not signed in anywhere else."
        elif user.id == current_user.id:
            message = f"You have been signed out of {ended} other {plural}."
        else:
            message = f"{user.display_name} has been signed out of {ended} {plural}."
        flash(message, "success")
        return htmx.navigate_after_post(url_for("people.show", user_id=user_id) + "#sessions")

    return write(lambda: service.end_sessions(current_user, user), done)


def _roles_context(user: User, form: RolesForm, **extra: Any) -> dict[str, Any]:
    held = sorted(r.value for r in user.roles)
    if form.roles.data is None:
        form.roles.data = held
    return {
        "person": user,
        "form": form,
        "held": held,
        "role_labels": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        **extra,
    }


def _page(
    user: User,
    form: RolesForm,
    *,
    status: int = 200,
    fragment: str | None = None,
    **extra: Any,
) -> Response:
    return htmx.render(
        "people/show.html",
        fragment,
        status=status,
        **_roles_context(user, form, **extra),
        last_sign_in=queries.last_sign_in(user),
        signed_in=auth_queries.session_summary(user),
        areas=queries.owned_areas(user),
        flags=queries.open_flags(user),
    )

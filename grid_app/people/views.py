"""The People pages (admins): the list, one person's page, roles and deactivation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, g, request, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import queries as auth_queries
from grid_app.auth import second_factor
from grid_app.auth.forms import SessionsForm
from grid_app.auth.models import Role, User
from grid_app.errors import DomainError, EditConflict, Forbidden, Invalid
from grid_app.people import bulk, erasure, invitations, queries, requests, service
from grid_app.people.forms import (
    ROLE_HINTS,
    ROLE_LABELS,
    AccountRequestForm,
    BulkConfirmForm,
    BulkInviteForm,
    EraseForm,
    InviteForm,
    ManagersInviteForm,
    PeopleFilterForm,
    RolesForm,
)
from grid_app.web import htmx, params, reauth
from grid_app.web.writes import show_errors, write

bp = Blueprint("people", __name__)


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    # base.html shows the "People" link only to admins; sign-in renders for nobody.
    return {
        "can_manage_people": current_user.is_authenticated and service.can_manage(current_user),
        "can_invite_people": _manager_may_invite,
    }


def _manager_may_invite() -> bool:
    """Whether the header offers "Invite people": to a manager, once an admin allows it
    (admins invite from the People page). Asked once a request, and only of managers."""
    if not current_user.is_authenticated or service.can_manage(current_user):
        return False
    if not current_user.has_role(Role.MANAGER):
        return False
    if "may_invite" not in g:
        g.may_invite = invitations.managers_may_invite()
    return bool(g.may_invite)


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
    context: dict[str, Any] = {
        "form": form,
        "found": found,
        "query": {k: v for k, v in request.args.items() if k != "page" and v},
        "role_labels": ROLE_LABELS,
        "waiting": requests.waiting_count(),
        "setting_form": ManagersInviteForm(
            formdata=None, allowed=invitations.managers_may_invite()
        ),
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
    held = reauth.hold_back("change this person’s roles")
    if held:
        return held
    form = RolesForm()

    def done(changed: User) -> Response:
        if htmx.wants_fragment():
            return htmx.render(
                "people/_roles.html",
                **_roles_context(changed, RolesForm(formdata=None), saved=True),
            )
        flash(f"{changed.label}’s roles have been saved.", "success")
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
    return _change_status(
        user_id, service.deactivate, "{name} has been deactivated.", "deactivate this person"
    )


@bp.post("/people/<int:user_id>/reactivate")
def reactivate(user_id: int) -> Response:
    """Let a deactivated person sign in again."""
    return _change_status(user_id, service.reactivate, "{name} can sign in again.")


def _change_status(
    user_id: int,
    action: Callable[[User, User], object],
    message: str,
    sensitive: str | None = None,
) -> Response:
    """Deactivate or reactivate, then back to the person's page (the whole page with htmx).

    ``sensitive`` (what the action does, in words) asks for a recent proof of who one is.
    """
    service.require_manage(current_user)
    user = queries.person(user_id)
    held = reauth.hold_back(sensitive) if sensitive else None
    if held:
        return held

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


@bp.post("/people/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int) -> Response:
    """Remove someone's authenticator app and recovery codes; they are told by email."""
    service.require_manage(current_user)
    user = queries.person(user_id)

    def done(_: None) -> Response:
        flash(
            f"{user.display_name}’s second factor has been reset. They have been told by email.",
            "success",
        )
        return htmx.navigate_after_post(url_for("people.show", user_id=user_id) + "#second-factor")

    return write(
        lambda: second_factor.reset(current_user, user),
        done,
        conflict=lambda error: _page(queries.person(user_id), RolesForm(formdata=None), status=409),
    )


@bp.route("/people/sign-out-everyone", methods=["GET", "POST"])
def sign_out_everyone() -> Response:
    """End every session of every person but this one, password given again."""
    service.require_manage(current_user)
    form = SessionsForm()

    def page(status: int = 200) -> Response:
        return htmx.render(
            "people/sign_out_everyone.html",
            status=status,
            form=form,
            # Everyone's sessions but the one in use, which goes on.
            signed_in=max(0, queries.session_count() - 1),
        )

    if request.method == "GET":
        return page()
    if not form.validate():
        return page(422)

    def done(ended: int) -> Response:
        plural = "session" if ended == 1 else "sessions"
        flash(f"Everyone has been signed out: {ended} sign-in {plural} ended.", "success")
        return htmx.redirect_after_post(url_for("people.index"))

    return write(
        lambda: service.sign_everyone_out(current_user, form.current_password.data or ""),
        done,
        form=form,
        invalid=lambda _error: page(422),
    )


@bp.route("/people/<int:user_id>/erase", methods=["GET", "POST"])
def erase(user_id: int) -> Response:
    """Confirm, then erase the person's name, address and private data (a whole page)."""
    service.require_manage(current_user)
    user = queries.person(user_id)
    form = EraseForm()
    if request.method == "GET":
        return _erase_page(user, EraseForm(formdata=None))

    def done(erased: User) -> Response:
        # The flash never repeats the name that was erased.
        flash(f"Erased: the person is now shown as {erased.display_name}.", "success")
        return htmx.navigate_after_post(url_for("people.show", user_id=user_id))

    return write(
        lambda: erasure.erase(current_user, user, form.confirm.data or ""),
        done,
        form=form,
        invalid=lambda _error: _erase_page(queries.person(user_id), form, status=422),
    )


def _erase_page(user: User, form: EraseForm, status: int = 200) -> Response:
    return htmx.render("people/erase.html", status=status, person=user, form=form)


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
        second_factor_on=second_factor.enrolled(user),
        second_factor_needed=second_factor.role_requires(user),
    )


# --- Invitations ----------------------------------------------------------------------------


def _invite_page(form: InviteForm, status: int = 200) -> Response:
    return htmx.render(
        "people/invite.html",
        status=status,
        form=form,
        role_labels={
            r.value: ROLE_LABELS[r.value] for r in invitations.grantable_roles(current_user)
        },
        role_hints=ROLE_HINTS,
        days=current_app.config["INVITATION_DAYS"],
    )


@bp.route("/people/invite", methods=["GET", "POST"])
def invite() -> Response:
    """Invite one person by email address, with roles (admins; managers when allowed)."""
    invitations.require_invite(current_user)
    form = InviteForm()
    if request.method == "GET":
        form.roles.data = [Role.CONTRIBUTOR.value]
        return _invite_page(form)

    def sent(user: User) -> Response:
        flash(f"An invitation has been sent to {user.email}.", "success")
        return htmx.redirect_after_post(url_for("people.invite"))

    return write(
        lambda: invitations.invite(
            current_user, form.email.data or "", form.roles.data or [], form.display_name.data or ""
        ),
        sent,
        form=form,
        invalid=lambda _error: _invite_page(form, 422),
    )


def _bulk_page(form: BulkInviteForm, status: int = 200) -> Response:
    return htmx.render(
        "people/bulk.html",
        status=status,
        form=form,
        role_labels={
            r.value: ROLE_LABELS[r.value] for r in invitations.grantable_roles(current_user)
        },
        max_rows=current_app.config["INVITE_MAX_ROWS"],
        max_kb=current_app.config["INVITE_MAX_BYTES"] // 1024,
    )


@bp.route("/people/invite/many", methods=["GET", "POST"])
def bulk_invite() -> Response:
    """Paste a list or upload a CSV; posting it shows a preview and writes nothing."""
    invitations.require_invite(current_user)
    form = BulkInviteForm()
    if request.method == "GET":
        form.roles.data = [Role.CONTRIBUTOR.value]
        return _bulk_page(form)
    upload = request.files.get("file")
    try:
        if upload is not None and upload.filename:
            entries = bulk.parse_csv(upload.read(int(current_app.config["INVITE_MAX_BYTES"]) + 1))
        elif (form.addresses.data or "").strip():
            entries = bulk.parse_text(form.addresses.data or "")
        else:
            raise Invalid(
                "Nobody was invited.",
                {"addresses": "Paste at least one email address, or choose a CSV file."},
            )
        planned = bulk.plan(current_user, entries, form.roles.data or [])
    except Invalid as error:
        show_errors(form, error)
        return _bulk_page(form, 422)
    if not planned.rows:
        form.addresses.errors = ["The list has no rows to invite."]
        return _bulk_page(form, 422)
    return htmx.render(
        "people/bulk_preview.html",
        plan=planned,
        confirm=BulkConfirmForm(formdata=None, rows=bulk.carry(planned)),
        role_labels=ROLE_LABELS,
        outcomes=bulk.OUTCOMES,
    )


@bp.post("/people/invite/many/send")
def bulk_send() -> Response:
    """Check the previewed rows again as things now stand, and send the invitations."""
    invitations.require_invite(current_user)
    form = BulkConfirmForm()

    def sent(result: bulk.Sent) -> Response:
        flash(f"Invitations sent: {result.invited} new, {result.resent} sent again.", "success")
        return htmx.redirect_after_post(url_for("people.bulk_invite"))

    def refused(error: Invalid) -> Response:
        again = BulkInviteForm(formdata=None)
        again.roles.data = [Role.CONTRIBUTOR.value]
        again.addresses.errors = [error.field_errors.get("rows", error.message)]
        return _bulk_page(again, 422)

    return write(lambda: bulk.send(current_user, form.rows.data or ""), sent, invalid=refused)


def _person_changed(user_id: int, message: str) -> Callable[[object], Response]:
    def done(_result: object) -> Response:
        flash(message, "success")
        return htmx.redirect_after_post(url_for("people.show", user_id=user_id))

    return done


def _invitation_refused(user_id: int) -> Callable[[Invalid], Response]:
    return lambda error: _page(
        queries.person(user_id),
        RolesForm(formdata=None),
        status=422,
        invitation_error=error.field_errors.get("invitation", error.message),
    )


@bp.post("/people/<int:user_id>/invitation/resend")
def resend_invitation(user_id: int) -> Response:
    """Email a new link; the one sent before stops working."""
    service.require_manage(current_user)
    user = queries.person(user_id)
    return write(
        lambda: invitations.resend(current_user, user),
        _person_changed(user_id, f"A new invitation has been sent to {user.email}."),
        invalid=_invitation_refused(user_id),
    )


@bp.post("/people/<int:user_id>/invitation/cancel")
def cancel_invitation(user_id: int) -> Response:
    """Take the invitation back: its link stops working."""
    service.require_manage(current_user)
    user = queries.person(user_id)
    return write(
        lambda: invitations.cancel(current_user, user),
        _person_changed(user_id, f"The invitation to {user.email} has been cancelled."),
        invalid=_invitation_refused(user_id),
    )


@bp.post("/people/settings/managers-invite")
def managers_invite() -> Response:
    """Let managers invite people, or stop them."""
    service.require_manage(current_user)
    form = ManagersInviteForm()

    def saved(allowed: bool) -> Response:
        flash(
            "Managers can now invite people." if allowed else "Only admins can invite people now.",
            "success",
        )
        return htmx.redirect_after_post(url_for("people.index"))

    return write(
        lambda: invitations.set_managers_may_invite(current_user, bool(form.allowed.data)),
        saved,
    )


# --- Requests for accounts ------------------------------------------------------------------


@bp.get("/people/requests")
def account_requests() -> Response:
    """The requests for accounts waiting for an admin."""
    service.require_manage(current_user)
    return _requests_page()


def _requests_page(status: int = 200, error: str | None = None) -> Response:
    return htmx.render(
        "people/requests.html", status=status, waiting=requests.waiting(), error=error
    )


def _decide(request_id: int, action: Callable[[User, Any], object], message: str) -> Response:
    service.require_manage(current_user)
    found = requests.get(request_id)
    email = found.email

    def done(_result: object) -> Response:
        flash(message.format(email=email), "success")
        return htmx.redirect_after_post(url_for("people.account_requests"))

    return write(
        lambda: action(current_user, found),
        done,
        invalid=lambda error: _requests_page(
            422, f"{email}: {error.field_errors.get('request', error.message)}"
        ),
    )


@bp.post("/people/requests/<int:request_id>/approve")
def approve_request(request_id: int) -> Response:
    """Invite the person asked for, and tell the facilitator."""
    return _decide(request_id, requests.approve, "{email} has been invited.")


@bp.post("/people/requests/<int:request_id>/decline")
def decline_request(request_id: int) -> Response:
    """Turn the request down, and tell the facilitator."""
    return _decide(request_id, requests.decline, "The request for {email} was declined.")


def _request_form_page(form: AccountRequestForm, status: int = 200) -> Response:
    return htmx.render(
        "people/request_accounts.html", status=status, form=form, mine=requests.mine(current_user)
    )


@bp.route("/account-requests", methods=["GET", "POST"])
def request_accounts() -> Response:
    """A facilitator asks admins for accounts for people, and sees what became of asking."""
    if not requests.can_request(current_user):
        raise Forbidden("Only a facilitator can ask for accounts for people.")
    form = AccountRequestForm()
    if request.method == "GET":
        typed = request.args.get("addresses", "")
        form.addresses.data = "\n".join(requests.without_accounts(typed))
        return _request_form_page(form)
    if not form.validate():
        return _request_form_page(form, 422)

    def asked(made: list[Any]) -> Response:
        flash(
            f"Asked the admins for {len(made)} account{'' if len(made) == 1 else 's'}. "
            "You will get an email when they answer.",
            "success",
        )
        return htmx.redirect_after_post(url_for("people.request_accounts"))

    return write(
        lambda: requests.request_accounts(
            current_user, form.addresses.data or "", form.reason.data or ""
        ),
        asked,
        form=form,
        invalid=lambda _error: _request_form_page(form, 422),
    )

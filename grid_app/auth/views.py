"""Signing in and out, and one's own profile."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask import Response as FlaskResponse
from flask import session as browser_session
from flask_limiter import RequestLimit, RouteLimit
from flask_login import current_user, login_user, logout_user
from werkzeug import Response

from grid_app.auth import queries, second_factor, service, tokens
from grid_app.auth.forms import (
    EMAIL_CHOICES,
    AcceptInvitationForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    ForgotPasswordForm,
    NewPasswordForm,
    ProfileForm,
    SessionsForm,
    SignInForm,
)
from grid_app.auth.models import User
from grid_app.auth.passwords import PASSWORD_MAX, PASSWORD_MIN
from grid_app.errors import DomainError, EditConflict, Invalid, NotFound
from grid_app.extensions import limiter
from grid_app.sso import queries as sso_queries
from grid_app.web import htmx, sign_in_limits
from grid_app.web.authz import safe_next
from grid_app.web.reauth import fresh_proof_required, proof_is_fresh, read_resume
from grid_app.web.writes import commit, show_errors, write

bp = Blueprint("auth", __name__)
# What the new-password fields' hint says.
RULES = {"password_min": PASSWORD_MIN, "password_max": PASSWORD_MAX}
# Whose sign-in the browser's CSRF secret was made for (kept in the signed cookie).
CSRF_OWNER = "csrf_owner"
# A sign-in waiting for its authenticator code (kept in the signed cookie).
PENDING_SIGN_IN = "sign_in_pending"
# This browser signed in through the identity provider (so signing out offers to leave it).
SIGNED_IN_VIA_SSO = "sso_signed_in"


def sign_in_here(user: User) -> None:
    """Sign ``user`` in to this browser, with a CSRF secret of their own.

    A new secret voids every token seen before, except when the same person signs in again
    in this browser after their sign-in ended: the page they were writing on (still open in
    another tab) keeps its token, so what they typed there can still be saved.
    """
    if browser_session.get(CSRF_OWNER) != user.id:
        browser_session.pop("csrf_token", None)
    login_user(user)
    browser_session[CSRF_OWNER] = user.id


def _refused(limit: RequestLimit) -> Response:
    """The sign-in form again (429), with the address kept and what to do.

    The same words whatever the address, so that a refusal never tells whether it has an
    account here.
    """
    form = SignInForm()
    form.password.data = ""
    # reset_at is rounded up a second past the end of the window.
    minutes = max(1, math.ceil((limit.reset_at - 1 - time.time()) / 60))
    return htmx.render(
        "auth/sign_in.html", status=429, form=form, refused_minutes=minutes, **_sso_context()
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limits.limit_sign_in(_refused)
def sign_in() -> Response:
    """Show the sign-in form, or sign the person in."""
    form = SignInForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            # Committed whether or not it succeeds: a failed attempt is kept in the audit log.
            user, needs_code = commit(
                lambda: second_factor.begin_sign_in(
                    form.email.data or "",
                    form.password.data or "",
                    _user_agent(),
                    replaces=_current_token(),
                )
            )
            if user is not None and needs_code:
                # The password was right; the code page finishes the sign-in, for this
                # person only and for a few minutes (the cookie is signed).
                await_code(user, form.next.data or "")
                return htmx.redirect_after_post(url_for("auth.sign_in_code"))
            if user is not None:
                sign_in_here(user)
                response = htmx.redirect_after_post(safe_next(form.next.data))
                sign_in_limits.remember_device(response, user.email)
                return response
            form.password.errors = [service.WRONG_EMAIL_OR_PASSWORD]
    form.password.data = ""
    return htmx.render("auth/sign_in.html", status=status, form=form, **_sso_context())


def _sso_context() -> dict[str, Any]:
    """What the sign-in page needs to offer single sign-on first (when it is set up)."""
    return {
        "sso_name": current_app.config["OIDC_DISPLAY_NAME"] if sso_queries.configured() else "",
        "passwords_off": sso_queries.passwords_off(),
    }


@bp.post("/sign-out")
def sign_out() -> Response:
    """End this browser's session on the server and forget the cookie."""
    return write(
        lambda: service.end_session(current_user),
        lambda _: _signed_out("You have signed out."),
    )


def _signed_out(message: str) -> Response:
    """Forget the person in this browser: the cookie's sign-in and CSRF secret, and (through
    Clear-Site-Data) anything the browser cached or stored from pages they saw."""
    via_sso = browser_session.pop(SIGNED_IN_VIA_SSO, False)
    logout_user()
    browser_session.pop("csrf_token", None)
    browser_session.pop(CSRF_OWNER, None)
    flash(message, "success")
    # Signed in through the provider: the next page offers to sign out there too.
    after = url_for("sso.signed_out") if via_sso else url_for("auth.sign_in")
    response = htmx.redirect_after_post(after)
    # Not "cookies": the flash message above travels in the cookie to the sign-in page.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _current_token() -> str | None:
    """The token of the session this browser is signed in with, if any."""
    return current_user.current_session_token if current_user.is_authenticated else None


def _user_agent() -> str:
    return request.headers.get("User-Agent", "")


def _sessions_context(sessions_form: SessionsForm | None = None) -> dict[str, Any]:
    """What the "Your sessions" block shows: where the person is signed in, and the
    password box that signing a browser out asks for (drawn empty)."""
    return {
        "sessions": queries.sessions_of(current_user, service.session_token_hash(current_user)),
        "sessions_form": sessions_form or SessionsForm(formdata=None),
    }


def _profile_page(
    form: ProfileForm | None = None,
    password_form: ChangePasswordForm | None = None,
    email_form: ChangeEmailForm | None = None,
    sessions_form: SessionsForm | None = None,
    status: int = 200,
) -> Response:
    """The profile page with all of its forms; a refused one keeps its messages."""
    if form is None:
        form = ProfileForm(formdata=None)
        form.email_frequency.data = current_user.email_frequency
    # Password boxes are drawn empty whatever was typed (see the input macro).
    password_form = password_form or ChangePasswordForm(formdata=None)
    email_form = email_form or ChangeEmailForm(formdata=None)
    return htmx.render(
        "auth/profile.html",
        status=status,
        form=form,
        password_form=password_form,
        email_form=email_form,
        choices=EMAIL_CHOICES,
        email_link_hours=current_app.config["EMAIL_LINK_HOURS"],
        second_factor_on=second_factor.enrolled(current_user),
        **_sessions_context(sessions_form),
        **RULES,
    )


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Response:
    """The person's own details, and how often they get notifications by email."""
    if request.method == "GET":
        return _profile_page()
    form = ProfileForm()

    def saved(_user: object) -> Response:
        flash("Your email choice has been saved.", "success")
        return htmx.redirect_after_post(url_for("auth.profile"))

    return write(
        lambda: service.set_email_frequency(
            current_user, current_user, form.email_frequency.data or ""
        ),
        saved,
        form=form,
        invalid=lambda _error: _profile_page(form, status=422),
    )


@bp.post("/profile/password")
def change_password() -> Response:
    """Change one's own password, knowing the current one; other sessions end."""
    form = ChangePasswordForm()
    if not form.validate():
        return _profile_page(password_form=form, status=422)

    def changed(_user: object) -> Response:
        flash("Your password has been changed. You are signed out everywhere else.", "success")
        return htmx.redirect_after_post(url_for("auth.profile"))

    return write(
        lambda: service.change_password(
            current_user,
            current_user,
            form.current_password.data or "",
            form.password.data or "",
            form.confirm_password.data or "",
        ),
        changed,
        form=form,
        invalid=lambda _error: _profile_page(password_form=form, status=422),
    )


# --- Where one is signed in ---------------------------------------------------------------


def _sessions_changed(message: str) -> Response:
    """The sessions block again with what was done (htmx), or back to the profile."""
    if htmx.wants_fragment():
        return htmx.render("auth/_sessions.html", done=message, **_sessions_context())
    flash(message, "success")
    return htmx.redirect_after_post(url_for("auth.profile") + "#your-sessions")


def _sessions_refused(form: SessionsForm) -> Response:
    """The sessions block again (422) with the message beside the password box."""
    if htmx.wants_fragment():
        return htmx.render("auth/_sessions.html", status=422, **_sessions_context(form))
    return _profile_page(sessions_form=form, status=422)


@bp.post("/profile/sessions/<int:session_id>/end")
def end_session(session_id: int) -> Response:
    """Sign one of one's other browsers out, password given again; its next request lands
    on the sign-in page."""
    form = SessionsForm()
    if not form.validate():
        return _sessions_refused(form)
    return write(
        lambda: service.end_other_session(
            current_user, session_id, form.current_password.data or ""
        ),
        lambda ended: _sessions_changed(f"{ended.device or 'That browser'} has been signed out."),
        form=form,
        invalid=lambda _error: _sessions_refused(form),
    )


@bp.post("/profile/sessions/end-others")
def end_other_sessions() -> Response:
    """Sign out of every browser but this one, password given again."""
    form = SessionsForm()
    if not form.validate():
        return _sessions_refused(form)

    def done(ended: int) -> Response:
        if ended == 0:
            return _sessions_changed("You were not signed in anywhere else.")
        plural = "browser" if ended == 1 else "browsers"
        return _sessions_changed(f"{ended} other {plural} signed out.")

    return write(
        lambda: service.end_other_sessions(current_user, form.current_password.data or ""),
        done,
        form=form,
        invalid=lambda _error: _sessions_refused(form),
    )


# --- A new email address -----------------------------------------------------------------


@bp.post("/profile/email")
def change_email() -> Response:
    """Ask to move one's account to a new address: a link goes there to confirm it."""
    form = ChangeEmailForm()
    if not form.validate():
        return _profile_page(email_form=form, status=422)

    def sent(address: str) -> Response:
        hours = current_app.config["EMAIL_LINK_HOURS"]
        flash(service.EMAIL_LINK_SENT.format(address=address, hours=hours), "success")
        return htmx.redirect_after_post(url_for("auth.profile"))

    return write(
        lambda: service.request_email_change(
            current_user,
            current_user,
            form.new_email.data or "",
            form.current_password.data or "",
        ),
        sent,
        form=form,
        invalid=lambda _error: _profile_page(email_form=form, status=422),
    )


def _email_link_unusable(error: DomainError) -> Response:
    """A link to confirm an address that cannot be used: why, and what to do instead."""
    return _referrer_without_path(
        htmx.render(
            "auth/email_link_unusable.html",
            status=error.status,
            message=error.message,
            taken=isinstance(error, EditConflict),
        )
    )


@bp.route("/profile/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> Response:
    """Confirm a new address from the emailed link (signed in as its person: someone who
    is not is taken through sign-in and back here)."""
    try:
        address = service.email_change_link(current_user, token)
    except (NotFound, tokens.LinkUsed, service.LinkForSomeoneElse) as error:
        return _email_link_unusable(error)
    if request.method == "GET":
        return _referrer_without_path(
            htmx.render("auth/confirm_email.html", address=address, token=token)
        )

    def confirmed(ended: int) -> Response:
        elsewhere = " You have been signed out of every other browser." if ended else ""
        flash(f"Your email address is now {address}.{elsewhere}", "success")
        return htmx.redirect_after_post(url_for("auth.profile"))

    return write(
        lambda: service.confirm_email_change(current_user, token),
        confirmed,
        conflict=_email_link_unusable,
    )


# --- A forgotten password ----------------------------------------------------------------


def _reset_email_key() -> str:
    # A keyed hash of the address as typed: the limiter's store never holds who asked.
    return "reset:" + sign_in_limits.email_digest(request.form.get("email") or "")


def _reset_refused(_limit: RequestLimit) -> FlaskResponse:
    """The form again (429), the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    response = htmx.render("auth/forgot_password.html", status=429, form=form, refused=True)
    return response if isinstance(response, FlaskResponse) else FlaskResponse(status=429)


def _reset_limit(setting: str, key: Callable[[], str] | None = None) -> RouteLimit:
    # Read when each request is counted, so that configuration (and tests) can change it.
    return limiter.limit(
        lambda: str(current_app.config[setting]),
        key_func=key,
        methods=["POST"],
        on_breach=_reset_refused,
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@_reset_limit("RESET_LIMIT_PER_ADDRESS")
@_reset_limit("RESET_LIMIT_PER_EMAIL", _reset_email_key)
def forgot_password() -> Response:
    """Ask for a link to set a new password; the answer never says whether the address is
    known."""
    form = ForgotPasswordForm()
    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        return htmx.render("auth/forgot_password.html", status=status, form=form)
    return write(
        lambda: service.request_reset(form.email.data or ""),
        lambda _: htmx.redirect_after_post(url_for("auth.reset_sent")),
    )


@bp.get("/forgot-password/sent")
def reset_sent() -> Response:
    """What happens next, in the same words whoever asked."""
    minutes = current_app.config["RESET_LINK_MINUTES"]
    return htmx.render("auth/reset_sent.html", minutes=minutes)


def _link_unusable(error: NotFound | tokens.LinkUsed) -> Response:
    """A used, expired or unknown link: say so, and how to get a new one."""
    return htmx.render("auth/link_unusable.html", status=error.status, message=error.message)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    """Choose a new password through an emailed link; then the person is signed in."""
    form = NewPasswordForm()
    try:
        holder = tokens.check(token, tokens.TokenPurpose.RESET)
    except (NotFound, tokens.LinkUsed) as error:
        return _referrer_without_path(_link_unusable(error))
    if not sso_queries.password_allowed(holder):
        return _referrer_without_path(
            htmx.render("auth/link_unusable.html", status=403, message=service.PASSWORDS_OFF)
        )

    def page(status: int = 200) -> Response:
        return _referrer_without_path(
            htmx.render("auth/reset_password.html", status=status, form=form, token=token, **RULES)
        )

    if request.method == "GET":
        return page()
    if not form.validate():
        return page(422)

    def signed_in(user: User) -> Response:
        if user.current_session_token is None:
            # They have an authenticator app: the code page finishes signing in.
            await_code(user, "")
            flash("Your new password is set. Now enter the code from your app.", "success")
            return htmx.redirect_after_post(url_for("auth.sign_in_code"))
        browser_session.pop("csrf_token", None)
        login_user(user)
        flash("Your new password is set, and you are signed in.", "success")
        return htmx.redirect_after_post(url_for("grid.home"))

    return write(
        lambda: service.reset_password(
            token,
            form.password.data or "",
            form.confirm_password.data or "",
            _user_agent(),
            replaces=_current_token(),
        ),
        signed_in,
        form=form,
        invalid=lambda _error: page(422),
    )


def _referrer_without_path(response: Response) -> Response:
    # The address holds the secret link: requests from this page name only the site.
    # (Not "no-referrer": browsers then send "Origin: null", and the form's own post would
    # be refused as coming from another site.)
    response.headers["Referrer-Policy"] = "strict-origin"
    return response


# --- Joining through an invitation ----------------------------------------------------------


def _invitation_gone(token: str, error: NotFound | tokens.LinkUsed) -> Response:
    """A used, expired, cancelled or unknown invitation: say so, and whom to ask."""
    invitation = service.invitation_of_link(token)
    return htmx.render(
        "auth/invitation_gone.html",
        status=error.status,
        invitation=invitation,
        known=invitation is not None,
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Response:
    """Join through an emailed invitation: a name and a password, then signed in."""
    form = AcceptInvitationForm()
    try:
        invited = tokens.check(token, tokens.TokenPurpose.INVITE)
        invitation = invited.invitation
        if invitation is None or not invitation.pending:
            raise tokens.LinkUsed(tokens.GONE)
    except (NotFound, tokens.LinkUsed) as error:
        return _referrer_without_path(_invitation_gone(token, error))
    if request.method == "GET" and not form.display_name.data:
        form.display_name.data = invited.display_name
    inviter = invitation.inviter_name
    email = invited.email
    if not sso_queries.password_allowed(invited):
        # Passwords are off: the invited person joins by signing in through the provider.
        return _referrer_without_path(
            htmx.render(
                "auth/accept_invitation.html",
                status=200 if request.method == "GET" else 403,
                form=form,
                token=token,
                email=email,
                inviter=inviter,
                sso_only=True,
                **_sso_context(),
            )
        )

    def page(status: int = 200) -> Response:
        return _referrer_without_path(
            htmx.render(
                "auth/accept_invitation.html",
                status=status,
                form=form,
                token=token,
                email=email,
                inviter=inviter,
                **RULES,
                **_sso_context(),
            )
        )

    if request.method == "GET":
        return page()
    if not form.validate():
        return page(422)

    def signed_in(user: User) -> Response:
        # Whoever was signed in in this browser before is replaced by the new person.
        browser_session.pop("csrf_token", None)
        login_user(user)
        flash(f"Welcome, {user.display_name}. You are signed in.", "success")
        return htmx.redirect_after_post(url_for("grid.home"))

    def join() -> User:
        # Someone else signed in in this browser is signed out on the server, not only here.
        if current_user.is_authenticated:
            service.end_session(current_user)
        return service.accept_invitation(
            token,
            form.display_name.data or "",
            form.password.data or "",
            form.confirm_password.data or "",
        )

    return write(
        join,
        signed_in,
        form=form,
        invalid=lambda _error: page(422),
    )


# --- A second factor ------------------------------------------------------------------------


def await_code(user: User, next_path: str, method: str = "password") -> None:
    """Remember in this browser that ``user``'s password (or, ``method`` "sso", their
    sign-in at the provider) was right and a code must follow."""
    browser_session[PENDING_SIGN_IN] = {
        "user": user.id,
        "at": int(time.time()),
        "next": next_path,
        "method": method,
    }


def _pending_sign_in() -> dict[str, Any] | None:
    """The sign-in waiting for its code in this browser, unless it has expired."""
    pending = browser_session.get(PENDING_SIGN_IN)
    if not isinstance(pending, dict) or not isinstance(pending.get("user"), int):
        return None
    minutes = int(current_app.config["SIGN_IN_CODE_MINUTES"])
    if time.time() - float(pending.get("at") or 0) > minutes * 60:
        return None
    return pending


def _code_key() -> str:
    """Codes tried by one person, on any page that asks for one."""
    pending = _pending_sign_in()
    if pending is not None:
        return f"second-factor:{pending['user']}"
    if current_user.is_authenticated:
        return f"second-factor:{current_user.id}"
    return f"second-factor-from:{request.remote_addr or 'unknown'}"


def _code_limit() -> RouteLimit:
    # One count per person shared by every page that takes a code: guessing is as slow on
    # the sign-in page as on the confirm page, together. Too many get the 429 page.
    return limiter.shared_limit(
        lambda: str(current_app.config["MFA_CODE_LIMIT_PER_PERSON"]),
        scope="second-factor-code",
        key_func=_code_key,
        methods=["POST"],
    )


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_code_limit()
def sign_in_code() -> Response:
    """The second step of signing in: a code from the app, or a recovery code."""
    pending = _pending_sign_in()
    if pending is None:
        browser_session.pop(PENDING_SIGN_IN, None)
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()

    def page(status: int = 200) -> Response:
        return htmx.render("auth/sign_in_code.html", status=status, form=form)

    if request.method == "GET":
        return page()
    if not form.validate():
        return page(422)
    try:
        # Committed whether or not it succeeds: a wrong code is kept in the audit log.
        user = commit(
            lambda: second_factor.finish_sign_in(
                pending["user"],
                form.code.data or "",
                _user_agent(),
                replaces=_current_token(),
                method="sso" if pending.get("method") == "sso" else "password",
            )
        )
    except Invalid as error:
        show_errors(form, error)
        return page(422)
    if user is None:
        form.code.errors = [second_factor.WRONG_CODE]
        return page(422)
    browser_session.pop(PENDING_SIGN_IN, None)
    sign_in_here(user)
    response = htmx.redirect_after_post(safe_next(str(pending.get("next") or "")))
    sign_in_limits.remember_device(response, user.email)
    return response


def _two_step_page(
    form: CodeForm | None = None,
    off_form: CodeForm | None = None,
    status: int = 200,
) -> Response:
    """The authenticator app section: set it up, or see it is on and turn it off."""
    form = form or CodeForm(formdata=None, next=request.args.get("next", ""))
    return htmx.render(
        "auth/two_step.html",
        status=status,
        form=form,
        off_form=off_form or CodeForm(formdata=None),
        enrolled=second_factor.enrolled(current_user),
        enrolment=second_factor.enrolment(current_user),
        codes_left=second_factor.recovery_codes_left(current_user),
        required=second_factor.role_requires(current_user),
        must_enrol=second_factor.must_enrol(current_user),
    )


@bp.get("/profile/two-step")
def two_step() -> Response:
    """Set up an authenticator app, or see that it is on."""
    return _two_step_page()


@bp.post("/profile/two-step/start")
def two_step_start() -> Response:
    """Make a new secret and show it as a QR code, to scan and confirm with a first code."""
    nxt = CodeForm().next.data or ""
    return write(
        lambda: second_factor.start(current_user, current_user),
        lambda _: htmx.redirect_after_post(url_for("auth.two_step", next=nxt or None)),
        conflict=lambda error: _two_step_page(status=409),
    )


@bp.post("/profile/two-step/confirm")
def two_step_confirm() -> Response:
    """Confirm the setup with a first code; the recovery codes are shown this once."""
    form = CodeForm()
    if not form.validate():
        return _two_step_page(form, status=422)

    def shown(codes: list[str]) -> Response:
        return htmx.render(
            "auth/recovery_codes.html", codes=codes, next=safe_next(form.next.data or None)
        )

    return write(
        lambda: second_factor.confirm(current_user, current_user, form.code.data or ""),
        shown,
        form=form,
        invalid=lambda _error: _two_step_page(form, status=422),
        conflict=lambda _error: _two_step_page(status=409),
    )


@bp.post("/profile/two-step/off")
@fresh_proof_required("turn off your authenticator app")
@_code_limit()
def two_step_off() -> Response:
    """Turn the authenticator off, with a code from it or a recovery code."""
    form = CodeForm()
    if not form.validate():
        return _two_step_page(off_form=form, status=422)

    def done(_: object) -> Response:
        flash("Your authenticator app is off. You sign in with your password alone.", "success")
        return htmx.redirect_after_post(url_for("auth.two_step"))

    return write(
        lambda: second_factor.turn_off(current_user, current_user, form.code.data or ""),
        done,
        form=form,
        invalid=lambda _error: _two_step_page(off_form=form, status=422),
        conflict=lambda _error: _two_step_page(status=409),
    )


# --- Confirming it is you before a sensitive action -----------------------------------------


@bp.route("/confirm", methods=["GET", "POST"])
@_code_limit()
def confirm() -> Response:
    """Prove who one is again (password or app code), then go on with what was held back."""
    form = ConfirmForm(resume=request.args.get("resume", ""))
    resume = read_resume(form.resume.data or "", current_user.id)
    if resume is None:
        flash("That confirmation has expired. Try what you were doing again.", "info")
        return redirect(url_for("grid.home"))

    def proved(_: None) -> Response:
        if resume.method == "GET":
            return htmx.redirect_after_post(resume.url)
        return htmx.render("auth/confirmed.html", resume=resume)

    def page(status: int = 200) -> Response:
        again = None
        if sso_queries.can_prove_again(current_user):
            # Back here after the provider's fresh sign-in, which then goes on at once.
            back = url_for("auth.confirm", resume=form.resume.data)
            again = url_for("sso.reauthenticate", next=back)
        return htmx.render(
            "auth/confirm.html",
            status=status,
            form=form,
            resume=resume,
            token=form.resume.data,
            has_app=second_factor.enrolled(current_user),
            provider_again=again,
            provider_name=current_app.config["OIDC_DISPLAY_NAME"],
            password_allowed=sso_queries.password_allowed(current_user),
        )

    if request.method == "GET":
        if proof_is_fresh():
            # Proved a moment ago (through the provider, or in another tab): go on.
            return proved(None)
        return page()
    if not form.validate():
        return page(422)

    def prove() -> None:
        if form.code.data:
            second_factor.prove_again(current_user, form.code.data)
        elif not form.password.data:
            raise Invalid("Nothing was done.", {"password": "Enter your password."})
        else:
            service.require_password(current_user, form.password.data or "", "Nothing was done.")
            service.record_proof(current_user)

    def refused(error: Invalid) -> Response:
        if "current_password" in error.field_errors:
            form.password.errors = [error.field_errors["current_password"]]
        return page(422)

    return write(prove, proved, form=form, invalid=refused)

"""Signing in and out, and one's own profile."""

from __future__ import annotations

import math
import time

from flask import Blueprint, flash, redirect, request, url_for
from flask import session as browser_session
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user
from werkzeug import Response

from grid_app.auth import service
from grid_app.auth.forms import EMAIL_CHOICES, ProfileForm, SignInForm
from grid_app.web import htmx, sign_in_limits
from grid_app.web.authz import safe_next
from grid_app.web.writes import commit, write

bp = Blueprint("auth", __name__)


def _refused(limit: RequestLimit) -> Response:
    """The sign-in form again (429), with the address kept and what to do.

    The same words whatever the address, so that a refusal never tells whether it has an
    account here.
    """
    form = SignInForm()
    form.password.data = ""
    # reset_at is rounded up a second past the end of the window.
    minutes = max(1, math.ceil((limit.reset_at - 1 - time.time()) / 60))
    return htmx.render("auth/sign_in.html", status=429, form=form, refused_minutes=minutes)


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
            user = commit(lambda: service.sign_in(form.email.data or "", form.password.data or ""))
            if user is not None:
                # A new CSRF secret for the signed-in session: a token seen before it is void.
                browser_session.pop("csrf_token", None)
                login_user(user)
                response = htmx.redirect_after_post(safe_next(form.next.data))
                sign_in_limits.remember_device(response, user.email)
                return response
            form.password.errors = [service.WRONG_EMAIL_OR_PASSWORD]
    form.password.data = ""
    return htmx.render("auth/sign_in.html", status=status, form=form)


@bp.post("/sign-out")
def sign_out() -> Response:
    """End this browser's session on the server and forget the cookie."""
    return write(
        lambda: service.end_session(current_user),
        lambda _: _signed_out("You have signed out."),
    )


@bp.post("/sign-out-everywhere")
def sign_out_everywhere() -> Response:
    """End every session of the signed-in person, on every device."""
    return write(
        lambda: service.end_all_sessions(current_user),
        lambda _: _signed_out("You have signed out on every device."),
    )


def _signed_out(message: str) -> Response:
    """Forget the person in this browser: the cookie's sign-in and CSRF secret, and (through
    Clear-Site-Data) anything the browser cached or stored from pages they saw."""
    logout_user()
    browser_session.pop("csrf_token", None)
    flash(message, "success")
    response = htmx.redirect_after_post(url_for("auth.sign_in"))
    # Not "cookies": the flash message above travels in the cookie to the sign-in page.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> Response:
    """The person's own details, and how often they get notifications by email."""
    form = ProfileForm()

    def page(status: int = 200) -> Response:
        return htmx.render("auth/profile.html", status=status, form=form, choices=EMAIL_CHOICES)

    if request.method == "GET":
        form.email_frequency.data = current_user.email_frequency
        return page()

    def saved(_user: object) -> Response:
        flash("Your email choice has been saved.", "success")
        return htmx.redirect_after_post(url_for("auth.profile"))

    return write(
        lambda: service.set_email_frequency(
            current_user, current_user, form.email_frequency.data or ""
        ),
        saved,
        form=form,
        invalid=lambda _error: page(422),
    )

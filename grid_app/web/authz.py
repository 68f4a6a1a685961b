"""Sign-in is required everywhere except the sign-in and password-reset pages and static
files."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, g, request, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.auth import second_factor
from grid_app.auth import service as auth_service
from grid_app.auth.models import User
from grid_app.extensions import login_manager
from grid_app.web import htmx
from grid_app.web.writes import commit

PUBLIC_ENDPOINTS = {
    "auth.sign_in",
    # Answers only a browser whose password was just accepted; anyone else goes to sign-in.
    "auth.sign_in_code",
    "auth.forgot_password",
    "auth.reset_sent",
    "auth.reset_password",
    "auth.accept_invitation",
    # Single sign-on: leaving for the identity provider, coming back, and the offer to sign
    # out there too.
    "sso.start",
    "sso.callback",
    "sso.signed_out",
    "static",
    "health",
    # Notices a council must publish: readable before signing in, and by anyone.
    "dataprotection.accessibility",
    "dataprotection.privacy",
}
# What someone whose role needs a second factor may open before setting one up.
ENROL_ENDPOINTS = {"auth.two_step", "auth.two_step_start", "auth.two_step_confirm", "auth.sign_out"}
# Requests a page makes by itself (the grid's live poll, the bell's count) do not count as
# activity for the idle timeout, or an open tab would keep a session alive for ever.
PASSIVE_ENDPOINTS = {"grid.updates", "discussion.bell"}


def init_app(app: Flask) -> None:
    """Require a signed-in person for every endpoint that is not public."""
    login_manager.init_app(app)
    login_manager.session_protection = None  # sessions are checked server-side instead

    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        check = auth_service.check_session(token, touch=request.endpoint not in PASSIVE_ENDPOINTS)
        if check.needs_recording:
            g.session_check = check
        return check.user

    @login_manager.unauthorized_handler
    def unauthorized() -> Response:
        return htmx.redirect_to_sign_in(sign_in_url())

    @app.before_request
    def require_sign_in() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        signed_in = current_user.is_authenticated
        check = g.pop("session_check", None)
        if check is not None:
            # Ending an expired session, or noting activity, is a short write of its own,
            # so the rest of a request that changes nothing (a page, mostly) only reads and
            # never waits for a save to finish.
            commit(lambda: auth_service.record_session_check(check))
        if not signed_in:
            return htmx.redirect_to_sign_in(sign_in_url())
        if request.endpoint not in ENROL_ENDPOINTS and second_factor.must_enrol(current_user):
            return htmx.navigate(url_for("auth.two_step", next=_next_path()))
        return None


def sign_in_url() -> str:
    """The sign-in page, remembering where the person was going."""
    return url_for("auth.sign_in", next=_next_path())


def _next_path() -> str:
    """Where the person was going: this page, or the page an htmx request came from."""
    if htmx.current_url():
        target = htmx.current_url() or ""
    elif request.method == "GET":
        target = request.full_path
    else:
        target = request.referrer or "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything pointing elsewhere becomes the home page."""
    if not target:
        return url_for("grid.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("grid.home")
    # A backslash is read as a slash by some browsers; a control character (a carriage
    # return, say) cannot go into a Location header at all.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return url_for("grid.home")
    return target

"""Signing in through the council's identity provider, and the admin's password switch."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask import session as browser_session
from flask_login import current_user
from joserfc.errors import JoseError
from werkzeug import Response

from grid_app.auth.models import Role, SignInMethod
from grid_app.auth.views import SIGNED_IN_VIA_SSO, await_code, sign_in_here
from grid_app.database import utcnow
from grid_app.errors import Forbidden
from grid_app.sso import provider, queries, service
from grid_app.sso.forms import PasswordsForm
from grid_app.web import htmx
from grid_app.web.authz import safe_next
from grid_app.web.writes import commit, write

bp = Blueprint("sso", __name__)
# What the browser keeps between leaving for the provider and coming back.
FLOW = "sso_flow"

# What each refusal page says; the status is 403 when the provider's answer was good but
# lets nobody in, 400 when the answer itself could not be trusted.
REFUSALS: dict[str, tuple[int, str, str]] = {
    service.Refusal.UNKNOWN: (
        403,
        "You do not have an account here",
        "You signed in at {provider}, but nobody here has your email address. Ask an admin "
        "of the Supporting People Grid to invite you, then sign in again.",
    ),
    service.Refusal.UNVERIFIED: (
        403,
        "Your email address could not be confirmed",
        "{provider} did not confirm that your email address is yours, so it cannot be "
        "matched to an account here. Ask your IT service desk, or an admin of the grid.",
    ),
    service.Refusal.SWITCHED_OFF: (
        403,
        "Your account is switched off",
        "Your account on the Supporting People Grid has been switched off, so you cannot "
        "sign in, even through {provider}. Ask an admin of the grid if you need it back.",
    ),
    service.Refusal.SOMEONE_ELSE: (
        403,
        "That was another account",
        "You signed in at {provider} as someone other than the person signed in here. "
        "Nothing was changed. Try again with your own account.",
    ),
    service.Refusal.NOT_FRESH: (
        403,
        "You need to sign in again at the provider",
        "{provider} did not confirm that you have just signed in, so this does not count "
        "as proving who you are again. Try again, and enter your details when asked.",
    ),
    "untrusted": (
        400,
        "Single sign-on did not work",
        "The answer from {provider} could not be accepted: it was out of date, not meant "
        "for this grid, already used, or not from the sign-in you started here. Nobody was "
        "signed in. Start again from the sign-in page.",
    ),
    "unreachable": (
        503,
        "Single sign-on is not available",
        "{provider} could not be reached. Nobody was signed in. Try again in a few minutes, "
        "or tell your IT service desk if it goes on.",
    ),
}


def _provider_name() -> str:
    return str(current_app.config["OIDC_DISPLAY_NAME"])


def _refused(reason: str) -> Response:
    status, title, text = REFUSALS[reason]
    response = htmx.render(
        "sso/refused.html",
        status=status,
        title=title,
        text=text.format(provider=_provider_name()),
        reauthenticating=current_user.is_authenticated,
    )
    # The provider's code and state are in this page's address.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _start(purpose: str, next_path: str, **extra: Any) -> Response:
    if not queries.configured():
        abort(404)
    browser_session[FLOW] = {
        "purpose": purpose,
        "next": safe_next(next_path),
        "asked_at": utcnow().isoformat(),
    }
    try:
        return provider.client().authorize_redirect(
            url_for("sso.callback", _external=True), **extra
        )
    except (requests.RequestException, ValueError, RuntimeError):
        return _refused("unreachable")


@bp.get("/sign-in/sso")
def start() -> Response:
    """Leave for the provider's sign-in page; it sends the person back to ``callback``."""
    return _start("sign_in", request.args.get("next", ""))


@bp.get("/sign-in/sso/again")
def reauthenticate() -> Response:
    """Prove who one is again with a fresh sign-in at the provider (not a remembered one)."""
    return _start("reauth", request.args.get("next", ""), prompt="login", max_age=0)


@bp.get("/sign-in/sso/callback")
def callback() -> Response:
    """Back from the provider: check its answer, then sign the person in (or say why not)."""
    if not queries.configured():
        abort(404)
    flow = browser_session.pop(FLOW, None) or {}
    try:
        token = provider.client().authorize_access_token(
            claims_options=provider.claims_options(),
            leeway=int(current_app.config["OIDC_CLOCK_SKEW_SECONDS"]),
        )
    except requests.RequestException:
        return _refused("unreachable")
    except (OAuthError, JoseError, ValueError, KeyError):
        # A wrong or missing state, a used code, a token for another client, an expired
        # or badly signed token: the provider's answer is not to be trusted.
        return _refused("untrusted")
    claims = token.get("userinfo")
    if not claims:
        return _refused("untrusted")
    issuer = str(current_app.config["OIDC_ISSUER"])
    if flow.get("purpose") == "reauth" and current_user.is_authenticated:
        asked_at = datetime.fromisoformat(str(flow.get("asked_at")))
        outcome = commit(lambda: service.reauthenticate(current_user, issuer, claims, asked_at))
        if outcome.user is None:
            return _refused(outcome.refusal)
        flash("You have proved who you are again.", "success")
        return redirect(safe_next(flow.get("next")), code=303)
    replaces = current_user.current_session_token if current_user.is_authenticated else None
    outcome = commit(
        lambda: service.sign_in(
            issuer, claims, request.headers.get("User-Agent", ""), replaces=replaces
        )
    )
    if outcome.user is None:
        return _refused(outcome.refusal)
    if outcome.needs_code:
        # Their authenticator app is the second factor the provider does not ask for.
        await_code(outcome.user, str(flow.get("next") or ""), SignInMethod.SSO.value)
        browser_session[SIGNED_IN_VIA_SSO] = True
        return redirect(url_for("auth.sign_in_code"), code=303)
    outcome.user.attach_session(outcome.token, utcnow(), SignInMethod.SSO.value)
    sign_in_here(outcome.user)
    browser_session[SIGNED_IN_VIA_SSO] = True
    return redirect(safe_next(flow.get("next")), code=303)


@bp.get("/signed-out")
def signed_out() -> Response:
    """After signing out of the grid: offer to sign out of the provider too."""
    if not queries.configured():
        abort(404)
    endpoint = provider.end_session_endpoint()
    if endpoint is None:
        return redirect(url_for("auth.sign_in"))
    return htmx.render(
        "sso/signed_out.html",
        logout_url=endpoint
        + ("&" if "?" in endpoint else "?")
        + urlencode(
            {
                "client_id": current_app.config["OIDC_CLIENT_ID"],
                "post_logout_redirect_uri": url_for("auth.sign_in", _external=True),
            }
        ),
        provider_name=_provider_name(),
    )


# --- The admin's switch ---------------------------------------------------------------------


def _settings_page(form: PasswordsForm | None = None, status: int = 200) -> Response:
    if not current_user.has_role(Role.ADMIN):
        raise Forbidden("Only an admin can change how people sign in.")
    policy = queries.policy()
    if form is None:
        form = PasswordsForm(formdata=None)
        form.passwords_off.data = bool(policy and policy.passwords_off)
        form.break_glass.data = str(policy.break_glass_id or "") if policy else ""
    return htmx.render(
        "sso/settings.html",
        status=status,
        form=form,
        configured=queries.configured(),
        provider_name=_provider_name(),
        issuer=current_app.config["OIDC_ISSUER"],
        admins=queries.active_admins(),
        callback_url=url_for("sso.callback", _external=True),
    )


@bp.route("/people/sign-in-settings", methods=["GET", "POST"])
def settings() -> Response:
    """Single sign-on as configured, and whether local passwords are switched off."""
    if request.method == "GET":
        return _settings_page()
    form = PasswordsForm()
    choice = (form.break_glass.data or "").strip()

    def saved(_policy: object) -> Response:
        flash("How people sign in has been saved.", "success")
        return htmx.redirect_after_post(url_for("sso.settings"))

    return write(
        lambda: service.set_passwords_off(
            current_user,
            bool(form.passwords_off.data),
            int(choice) if choice.isdigit() and len(choice) < 10 else None,
        ),
        saved,
        form=form,
        invalid=lambda _error: _settings_page(form, status=422),
    )

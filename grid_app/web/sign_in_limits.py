"""What a sign-in attempt is counted against, so that guessing is slow and nobody is locked out.

A limit on an email address alone would let anyone lock a colleague out by typing wrong
passwords for their address. So (OWASP's "device cookies"):

- attempts for an address from one client address get a tight limit;
- attempts for an address from anywhere get a slower one, which a spread-out attack still meets;
- a browser where the person has signed in before carries a signed cookie naming them, and
  their attempts from it are counted against that browser only, so neither limit above can
  keep them out of it.

No key holds an email address, only a keyed hash of it: the limiter's store (Redis) never
learns who was being signed in as, and neither does anyone reading the cookie.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable

from flask import Response as FlaskResponse
from flask import current_app, g, request
from flask_limiter import RequestLimit
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug import Response

from grid_app.extensions import keyed_digest, limiter

View = Callable[..., Response]

_DEVICE_SALT = "sign-in-device"


def email_digest(email: str) -> str:
    """A keyed hash of the address as typed (trimmed, any case), safe to store and compare."""
    return keyed_digest(email.strip().lower())


def _typed_digest() -> str:
    return email_digest(request.form.get("email") or "")


def email_key() -> str:
    """Attempts for the typed address, wherever they come from."""
    return "sign-in:" + _typed_digest()


def email_and_client_key() -> str:
    """Attempts for the typed address from this client address."""
    return f"sign-in:{_typed_digest()}:{request.remote_addr or 'unknown'}"


def device_key() -> str:
    """Attempts from this browser (only asked when it carries a device cookie)."""
    return "sign-in-device:" + (known_device() or "")


def device_cookie_name() -> str:
    """``__Host-`` when cookies are Secure, so that a sibling subdomain cannot plant one."""
    return "__Host-grid-device" if current_app.config["SESSION_COOKIE_SECURE"] else "grid-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def known_device() -> str | None:
    """This browser's id when it carries a valid device cookie for the typed address.

    A cookie for someone else, a forged or an expired one, counts for nothing.
    """
    if "sign_in_device" not in g:
        g.sign_in_device = _device_for(_typed_digest())
    device: str | None = g.sign_in_device
    return device


def _device_for(digest: str) -> str | None:
    token = request.cookies.get(device_cookie_name())
    if not token:
        return None
    max_age = current_app.config["SIGN_IN_DEVICE_DAYS"] * 86_400
    try:
        named, device = _serializer().loads(token, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(named, str) or not isinstance(device, str):
        return None
    return device if hmac.compare_digest(named, digest) else None


def _on_known_device() -> bool:
    return known_device() is not None


def _on_unknown_device() -> bool:
    return known_device() is None


def remember_device(response: Response, email: str) -> None:
    """Give the browser a new device cookie naming the person who just signed in."""
    days = current_app.config["SIGN_IN_DEVICE_DAYS"]
    token = _serializer().dumps([email_digest(email), secrets.token_urlsafe(16)])
    response.set_cookie(
        device_cookie_name(),
        token,
        max_age=days * 86_400,
        path="/",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        # Only ever needed by the sign-in form's own post.
        samesite="Strict",
    )


def limit_sign_in(refused: Callable[[RequestLimit], Response]) -> Callable[[View], View]:
    """Apply every sign-in limit to a view; ``refused`` draws the page for a refused attempt."""

    def breached(limit: RequestLimit) -> FlaskResponse | None:
        response = refused(limit)
        # Flask-Limiter answers with the page only if it is Flask's own kind of response.
        return response if isinstance(response, FlaskResponse) else None

    def decorate(view: View) -> View:
        limits: list[tuple[str, Callable[[], str] | None, Callable[[], bool]]] = [
            # Per client address (all addresses typed there), then per address from it, then
            # per address from anywhere: none of them holds back a browser the person has used.
            ("SIGN_IN_LIMIT_PER_ADDRESS", None, _on_known_device),
            ("SIGN_IN_LIMIT_PER_EMAIL_FROM_CLIENT", email_and_client_key, _on_known_device),
            ("SIGN_IN_LIMIT_PER_EMAIL", email_key, _on_known_device),
            # A wrong password from such a browser still counts, against the browser.
            ("SIGN_IN_LIMIT_PER_DEVICE", device_key, _on_unknown_device),
        ]
        for setting, key, exempt in limits:
            view = limiter.limit(
                _setting(setting),
                key_func=key,
                methods=["POST"],
                exempt_when=exempt,
                on_breach=breached,
            )(view)
        return view

    return decorate


def _setting(name: str) -> Callable[[], str]:
    # Read when each request is counted, so that configuration (and tests) can change it.
    return lambda: str(current_app.config[name])

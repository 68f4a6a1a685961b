"""Sensitive actions ask the person to prove who they are again when their last proof is old.

A sensitive view asks ``hold_back("…")`` and goes on only when this session proved who its
person is (a password, an authenticator code, a sign-in through single sign-on) less than
REAUTH_MINUTES ago. Otherwise the browser goes to the confirm page with a signed "resume"
token: for a link, where it was going; for a form, its address and what was chosen in it
(never the CSRF token). After confirming, a link goes on at once and a form is shown again,
filled in as it was sent, to be sent with one press.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug import Response

from grid_app.auth import second_factor
from grid_app.web import htmx
from grid_app.web.authz import safe_next

F = TypeVar("F", bound=Callable[..., Any])

_SALT = "confirm-it-is-you"
# A resume token outlives the confirm page by a little, no more.
_RESUME_SECONDS = 30 * 60


@dataclass(frozen=True)
class Resume:
    """Where to go back to after confirming, and with what."""

    user_id: int
    what: str
    url: str
    method: str
    fields: list[tuple[str, str]]
    back: str

    @property
    def summary(self) -> list[tuple[str, str]]:
        """What was chosen in the form, field by field, to show before sending it again
        (the hidden "what the page showed" fields left out)."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.fields:
            if not name.endswith("_seen"):
                grouped.setdefault(name, []).append(value)
        return [
            (name.replace("_", " ").capitalize(), ", ".join(values) or "none")
            for name, values in grouped.items()
        ]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_resume(what: str) -> str:
    """A signed token describing the request being held back, for the signed-in person."""
    if request.method == "GET":
        url = request.full_path.rstrip("?")
        fields: list[tuple[str, str]] = []
        back = safe_next(htmx.current_url() or request.referrer or url)
    else:
        url = request.path
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        back = request.referrer or url
    return str(
        _serializer().dumps(
            {
                "u": current_user.id,
                "w": what,
                "url": url,
                "m": request.method,
                "f": fields,
                "b": _local(back),
            }
        )
    )


def _local(url: str) -> str:
    """The path (and query) of ``url`` if it is on this site, else the home page."""
    root = request.host_url
    if url.startswith(root):
        url = "/" + url[len(root) :]
    return safe_next(url)


def read_resume(token: str, user_id: int | None) -> Resume | None:
    """The held-back request a token describes, if it is genuine, recent and the person's."""
    try:
        data = _serializer().loads(token, max_age=_RESUME_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("u") != user_id:
        return None
    try:
        fields = [(str(k), str(v)) for k, v in data.get("f", [])]
        return Resume(
            user_id=int(data["u"]),
            what=str(data["w"]),
            url=safe_next(str(data["url"])),
            method="POST" if data.get("m") == "POST" else "GET",
            fields=fields,
            back=safe_next(str(data.get("b") or "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def proof_is_fresh() -> bool:
    """Whether the signed-in person proved who they are recently enough for this request."""
    return second_factor.proved_within(current_user, int(current_app.config["REAUTH_MINUTES"]))


def hold_back(what: str) -> Response | None:
    """Send the person to confirm it is them when their last proof is older than
    REAUTH_MINUTES; None when it is recent and the view may go on.

    Called by a sensitive view after its permission check (someone who may not do the thing
    is refused, not asked to confirm). ``what`` finishes the confirm page's sentence
    "To …, confirm it is you".
    """
    if proof_is_fresh():
        return None
    target = url_for("auth.confirm", resume=make_resume(what))
    if request.method == "GET":
        return htmx.navigate(target)
    return htmx.navigate_after_post(target)


def fresh_proof_required(what: str) -> Callable[[F], F]:
    """``hold_back`` as a decorator, for a view that only the person themselves can use."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return hold_back(what) or view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate

"""The only module that reads or writes HX-* headers."""

from __future__ import annotations

from typing import Any

from flask import make_response, redirect, render_template
from werkzeug import Response

from grid_app.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page.

    Boosted navigation and history restoration need the whole page.
    """
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    full: str, fragment: str | None = None, /, status: int = 200, **context: Any
) -> Response:
    """Render ``fragment`` for an htmx swap, else the ``full`` page; both from one context."""
    template = fragment if fragment and wants_fragment() else full
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(url: str) -> Response:
    """Send the browser to ``url`` after a successful form post (303 See Other)."""
    response = redirect(url, code=303)
    response.vary.add("HX-Request")
    return response


def navigate_after_post(url: str) -> Response:
    """Leave the page for ``url`` after a successful form post.

    A plain form gets 303 See Other; an htmx request gets HX-Redirect, so the browser loads
    the whole page (and scrolls to its #anchor) instead of swapping it into the form's place.
    """
    if not wants_fragment():
        return redirect_after_post(url)
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url
    response.vary.add("HX-Request")
    return response


def navigate(url: str) -> Response:
    """Send the browser to ``url`` from a GET: the whole page moves (HX-Redirect for htmx)."""
    response: Response
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
    else:
        response = redirect(url, code=303)
    response.vary.add("HX-Request")
    return response


def redirect_to_sign_in(url: str) -> Response:
    """Send someone whose session ended to the sign-in page.

    An htmx request gets HX-Redirect so that the whole page moves, rather than a
    sign-in form being swapped into part of the page.
    """
    response: Response
    if htmx:
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url
    else:
        response = redirect(url, code=302)
    response.vary.add("HX-Request")
    return response


def current_url() -> str | None:
    """The address of the page that made an htmx request, if any."""
    return htmx.current_url if htmx else None


def no_content() -> Response:
    """204: nothing to swap (htmx leaves the page as it is)."""
    response = make_response("", 204)
    response.vary.add("HX-Request")
    return response


def load_whole_page(response: Response, url: str) -> Response:
    """Have htmx load ``url`` as a whole page rather than swap ``response`` in.

    For a refusal (a 400 with messages beside a filter form's fields) that htmx does not
    swap: the browser loads the page, which shows the form, the messages and the input.
    """
    if wants_fragment():
        response.headers["HX-Redirect"] = url
    return response

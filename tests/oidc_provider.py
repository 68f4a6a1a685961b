"""A real OpenID Connect provider on localhost for the tests (PyPI's oidc-provider-mock).

It runs in a thread of the test process, serving HTTP on a free port: the app reaches it
over the network exactly as it would reach Entra ID or Google. Its sign-in page asks for a
subject id; the claims that person gets (email, email_verified, groups) are set beforehand
through the provider's own ``PUT /users/<sub>``.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import flask
import oidc_provider_mock
import requests
from authlib import jose
from werkzeug.serving import make_server

CLIENT_ID = "supporting-people-grid"
CLIENT_SECRET = "grid-client-secret"
DISPLAY_NAME = "your Camden account"


@dataclass
class Provider:
    """A running provider: its issuer (its address) and a way to set who signs in."""

    url: str

    def set_person(self, sub: str, **claims: Any) -> None:
        """What the provider says about ``sub`` when they sign in."""
        answer = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert answer.status_code == 204, answer.text

    def rotate_keys(self, publish: bool = True) -> None:
        """Sign from now on with a new key, published in place of the old one (or not)."""
        answer = requests.post(
            f"{self.url}/rotate-keys", params={"publish": "yes" if publish else "no"}, timeout=10
        )
        assert answer.status_code == 204, answer.text

    def config(self, **extra: Any) -> dict[str, Any]:
        """The app's settings for signing in through this provider."""
        return {
            "OIDC_ISSUER": self.url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_DISPLAY_NAME": DISPLAY_NAME,
            **extra,
        }


def _rotate_keys() -> tuple[str, int]:
    # The provider keeps its signing key in its storage, which it puts on flask.g. With
    # ?publish=no it goes on publishing the old key: it signs with one nobody can check.
    storage = flask.g.oidc_provider_mock_storage
    if flask.request.args.get("publish") == "no":
        flask.current_app.config["PUBLISHED_KEYS"] = jose.KeySet((storage.jwk,)).as_dict()
    else:
        flask.current_app.config.pop("PUBLISHED_KEYS", None)
    storage.jwk = jose.RSAKey.generate_key(is_private=True)
    return "", 204


def _published_keys() -> Any:
    if flask.request.path == "/jwks" and "PUBLISHED_KEYS" in flask.current_app.config:
        return flask.jsonify(flask.current_app.config["PUBLISHED_KEYS"])
    return None


class _OtherAudience:
    """Makes the provider issue its tokens to another client than the one asking: what a
    provider mixing up two registered applications would send back."""

    def __init__(self, app: Callable[..., Any], client_id: str) -> None:
        self.app = app
        self.client_id = client_id

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == "/oauth2/authorize":
            query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
            query["client_id"] = self.client_id
            environ["QUERY_STRING"] = urlencode(query)
        if environ.get("PATH_INFO") == "/oauth2/token":
            pair = f"{self.client_id}:{CLIENT_SECRET}".encode()
            environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(pair).decode()
        return self.app(environ, start_response)


@contextmanager
def running_provider(
    token_lifetime: timedelta = timedelta(hours=1), audience: str | None = None
) -> Iterator[Provider]:
    """Start a provider on a free port of 127.0.0.1; stop it afterwards.

    ``token_lifetime`` is how long its ID tokens last (negative: already expired when
    issued); ``audience`` makes it issue tokens to that client instead of the asking one.
    """
    app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_lifetime)
    app.add_url_rule("/rotate-keys", "rotate_keys", _rotate_keys, methods=["POST"])
    app.before_request(_published_keys)
    served: Any = _OtherAudience(app, audience) if audience else app
    server = make_server("127.0.0.1", 0, served, threaded=True)
    # A daemon thread: a provider left running never keeps the test run from ending.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def sign_in_at_provider(authorize_url: str, sub: str) -> str:
    """Sign in as ``sub`` on the provider's page; the address it sends the browser back to."""
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200, page.text
    answer = requests.post(authorize_url, data={"sub": sub}, timeout=10, allow_redirects=False)
    assert answer.status_code in (302, 303), answer.text
    return str(answer.headers["Location"])


def local_path(url: str) -> str:
    """The path and query of an address on the app, for the test client."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")

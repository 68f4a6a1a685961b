"""The OpenID Connect client (Authlib): one per application, made when first needed.

Authlib runs the authorization code flow with PKCE (S256), keeps the state, nonce and code
verifier in the signed session cookie, and validates the ID token: signature against the
provider's published keys (fetched again when a token names a key it has not seen, so
rotated keys are picked up), issuer, audience, expiry and nonce.
"""

from __future__ import annotations

from typing import Any

import requests
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import current_app
from joserfc.errors import BadSignatureError

NAME = "oidc"


class ProviderClient(FlaskOAuth2App):
    """Authlib's client, also picking up a new key when tokens name none.

    Authlib fetches the provider's keys again when a token names a key id it has not seen.
    A provider that rotates keys without naming them in its tokens makes the signature
    check fail instead: the keys are fetched once more and the token checked again, so a
    token signed with a key the provider does not publish is still refused.
    """

    def parse_id_token(self, token: Any, nonce: Any, *args: Any, **kwargs: Any) -> Any:
        """Validate the ID token (Authlib), with the keys fetched again once if need be."""
        try:
            return super().parse_id_token(token, nonce, *args, **kwargs)
        except BadSignatureError:
            self.fetch_jwk_set(force=True)
            return super().parse_id_token(token, nonce, *args, **kwargs)


class _OAuth(OAuth):
    oauth2_client_cls = ProviderClient


def client() -> FlaskOAuth2App:
    """This application's client for the configured provider."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    made = app.extensions.get("grid_sso")
    if made is None:
        config = app.config
        oauth = _OAuth(app)
        made = oauth.register(
            NAME,
            client_id=config["OIDC_CLIENT_ID"],
            client_secret=config["OIDC_CLIENT_SECRET"] or None,
            server_metadata_url=(
                config["OIDC_ISSUER"].rstrip("/") + "/.well-known/openid-configuration"
            ),
            client_kwargs={
                "scope": config["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "timeout": 10,
            },
        )
        app.extensions["grid_sso"] = made
    return made


def claims_options() -> dict[str, Any]:
    """The issuer must be the configured one, not only whatever the metadata says."""
    return {"iss": {"essential": True, "values": [current_app.config["OIDC_ISSUER"]]}}


def end_session_endpoint() -> str | None:
    """Where the provider signs people out (RP-initiated logout), if it says."""
    try:
        metadata = client().load_server_metadata()
    except (requests.RequestException, ValueError):
        # Sign-out must work whatever state the provider is in.
        return None
    endpoint = metadata.get("end_session_endpoint")
    return endpoint if isinstance(endpoint, str) and endpoint else None

"""A real OpenID Connect provider for the single sign-on tests, and the app set up for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.oidc_provider import Provider, running_provider


@pytest.fixture(scope="session")
def provider() -> Iterator[Provider]:
    """One provider for the whole run; each test uses people of its own."""
    with running_provider() as running:
        yield running


@pytest.fixture
def sso_app(app: Flask, provider: Provider) -> Flask:
    """The app, with single sign-on through the provider."""
    app.config.update(provider.config())
    return app

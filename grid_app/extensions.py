"""Flask extensions, created here and bound to the app in create_app (Flask-Migrate is bound
there too, only when the app is not serving requests)."""

from __future__ import annotations

import hmac

from flask import current_app, request
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from grid_app.database import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
htmx = HTMX()


def keyed_digest(value: str) -> str:
    """A keyed hash of ``value`` for a limiter key: the store (Redis) never holds who it
    counts, and cannot be matched to a person without the app's secret."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode(), "sha256").hexdigest()[:32]


def _client_address() -> str:
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address)

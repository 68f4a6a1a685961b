"""Keeping safe-space requests out of the logs.

An access log line says who (an address, a browser) asked for what, and when. For a
safe-space session that could tie a person to the moment an anonymous contribution was
written, so requests under PRIVATE_PREFIX are never logged, by the development server or
by gunicorn.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from gunicorn.glogging import Logger

PRIVATE_PREFIX = "/safe-space"


def is_private(path: str) -> bool:
    """True for an address whose requests must leave no trace in the logs."""
    return path == PRIVATE_PREFIX or path.startswith(PRIVATE_PREFIX + "/")


class PrivateRequestFilter(logging.Filter):
    """Drops log records that mention a safe-space address."""

    def filter(self, record: logging.LogRecord) -> bool:
        return PRIVATE_PREFIX not in record.getMessage()


class AccessLogger(Logger):
    """gunicorn's logger, without access lines for safe-space requests."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if is_private(environ.get("PATH_INFO", "")):
            return
        super().access(resp, req, environ, request_time)


def init_app(app: Flask) -> None:
    """Keep the development server's request log free of safe-space addresses."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, PrivateRequestFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(PrivateRequestFilter())

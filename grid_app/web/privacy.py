"""Keeping safe-space requests out of the logs.

An access log line says who (an address, a browser) asked for what, and when. For a
safe-space session that could tie a person to the moment an anonymous contribution was
written, so requests under PRIVATE_PREFIX are never logged, by the development server or
by gunicorn. Nor are requests that name such an address elsewhere: the sign-in page's
"next", or the Referer of a stylesheet or link followed from a session's page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from gunicorn.glogging import Logger

if TYPE_CHECKING:
    from flask import Flask

PRIVATE_PREFIX = "/safe-space"


def is_private(path: str) -> bool:
    """True for an address whose requests must leave no trace in the logs."""
    return path == PRIVATE_PREFIX or path.startswith(PRIVATE_PREFIX + "/")


def mentions_private(environ: dict[str, Any]) -> bool:
    """True when a request's address, query or Referer leads to a safe-space address."""
    referer = urlsplit(environ.get("HTTP_REFERER", "")).path
    return (
        is_private(environ.get("PATH_INFO", ""))
        or PRIVATE_PREFIX in unquote(environ.get("QUERY_STRING", ""))
        or is_private(unquote(referer))
    )


class PrivateRequestFilter(logging.Filter):
    """Drops log records that mention a safe-space address, written out or %-encoded."""

    def filter(self, record: logging.LogRecord) -> bool:
        return PRIVATE_PREFIX not in unquote(record.getMessage())


class AccessLogger(Logger):
    """gunicorn's logger, without access lines that lead to a safe-space address (its
    default format includes the Referer)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if mentions_private(environ):
            return
        super().access(resp, req, environ, request_time)


def init_app(app: Flask) -> None:
    """Keep the development server's request log free of safe-space addresses."""
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, PrivateRequestFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(PrivateRequestFilter())

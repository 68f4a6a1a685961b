"""Safe-space addresses stay out of the request logs, of gunicorn and of the development
server alike."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from gunicorn.glogging import Logger

from grid_app.web.privacy import AccessLogger, PrivateRequestFilter


@pytest.fixture
def access_lines(monkeypatch) -> list[dict[str, Any]]:
    """The requests gunicorn's own logger is asked to write an access line for."""
    lines: list[dict[str, Any]] = []
    monkeypatch.setattr(Logger, "access", lambda self, resp, req, environ, t: lines.append(environ))
    return lines


def log_access(**environ: str) -> None:
    AccessLogger.__new__(AccessLogger).access(None, None, environ, None)


@pytest.mark.parametrize(
    "environ",
    [
        {"PATH_INFO": "/safe-space/3"},
        {"PATH_INFO": "/sign-in", "QUERY_STRING": "next=%2Fsafe-space%2F3"},
        {"PATH_INFO": "/static/css/app.css", "HTTP_REFERER": "https://grid.example/safe-space/3"},
        {"PATH_INFO": "/cells/2", "HTTP_REFERER": "https://grid.example/safe-space/3/insights/1"},
    ],
)
def test_gunicorn_writes_no_line_that_leads_to_a_session(access_lines, environ):
    log_access(**environ)
    assert access_lines == []


def test_gunicorn_still_logs_the_rest_of_the_site(access_lines):
    log_access(PATH_INFO="/cells/2", HTTP_REFERER="https://grid.example/grids/main")
    log_access(PATH_INFO="/safe-spaces-report")  # only the prefix itself is private
    assert [e["PATH_INFO"] for e in access_lines] == ["/cells/2", "/safe-spaces-report"]


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ('"GET /grids/main HTTP/1.1" 200 -', True),
        ('"GET /safe-space/3 HTTP/1.1" 200 -', False),
        ('"GET /sign-in?next=%2Fsafe-space%2F3 HTTP/1.1" 200 -', False),
    ],
)
def test_the_development_server_log_drops_session_addresses(line, kept):
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "%s", (line,), None)
    assert PrivateRequestFilter().filter(record) is kept

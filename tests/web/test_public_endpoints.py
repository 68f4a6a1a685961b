"""What anyone can reach without signing in is exactly what docs/security.md lists."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from werkzeug.routing import AnyConverter, IntegerConverter

SECURITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_public_endpoints() -> set[str]:
    """The endpoints listed under "Reachable without signing in" in docs/security.md."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    section = text.split("## Reachable without signing in", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([\w.]+)`", section, re.M))


def _path(app: Flask, rule) -> str:  # type: ignore[no-untyped-def]
    # Stand-ins for the parts of an address: a number, or a word (a token, a slug, a file).
    values: dict[str, object] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = "x"
    with app.test_request_context():
        return str(app.url_map.bind("localhost").build(rule.endpoint, values))


def test_every_endpoint_not_documented_as_public_sends_a_stranger_to_sign_in(app, client):
    # A change is refused for its missing CSRF token before anything else, which would hide
    # whether it asks for a sign-in; here only the sign-in check is being looked at.
    app.config["WTF_CSRF_ENABLED"] = False
    reachable = set()
    for rule in app.url_map.iter_rules():
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        response = client.open(_path(app, rule), method=method)
        to_sign_in = response.status_code == 302 and "/sign-in" in response.location
        if not to_sign_in:
            reachable.add(rule.endpoint)
    assert reachable == documented_public_endpoints()


def test_the_documented_list_is_not_empty():
    assert {"auth.sign_in", "health"} <= documented_public_endpoints()

"""Sign-in limits slow down guessing without letting anyone lock a colleague out."""

from __future__ import annotations

import base64
import hmac
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from grid_app import create_app
from grid_app.auth.models import OPERATOR
from grid_app.auth.service import create_user
from grid_app.extensions import db
from tests.conftest import PASSWORD, TEST_HASH_METHOD, Client, Person, unique_address

ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
DEVICE_COOKIE = "__Host-grid-device"


def browser(new_client, address: str) -> Client:
    """A browser at a client address of its own."""
    made: Client = new_client()
    made.environ_base["REMOTE_ADDR"] = address
    return made


def attempt(client: Client, person: Person, password: str = "guess guess guess") -> int:
    """One sign-in attempt; its status."""
    response = client.post_form("/sign-in", {"email": person.email, "password": password})
    return int(response.status_code)


def guess_until_refused(client: Client, person: Person, most: int = 200) -> int:
    """Wrong passwords until one is refused (429); how many were answered before it."""
    for answered in range(most):
        status = attempt(client, person)
        if status == 429:
            return answered
        assert status == 422
    raise AssertionError(f"{most} wrong passwords and none refused")


def remembered_browser(new_client, person: Person, address: str = OWNER) -> Client:
    """A browser where ``person`` signed in (and out again), so it holds their device cookie."""
    laptop = browser(new_client, address)
    laptop.sign_in(person)
    assert laptop.post_form("/sign-out", {}).status_code == 303
    assert laptop.get_cookie(DEVICE_COOKIE) is not None
    return laptop


def test_wrong_passwords_from_elsewhere_do_not_lock_the_owner_out(new_client, people):
    victim = people["contributor"]
    attacker = browser(new_client, ATTACKER)
    assert guess_until_refused(attacker, victim) == 10
    # The right password from the attacker's place is refused too: guessing stays slow there.
    assert attempt(attacker, victim, PASSWORD) == 429
    owner = browser(new_client, OWNER)
    assert attempt(owner, victim, PASSWORD) == 303


def test_a_forged_forwarded_for_header_gives_no_fresh_allowance_without_a_proxy(new_client, people):
    attacker = browser(new_client, ATTACKER)
    statuses = [
        attacker.post_form(
            "/sign-in",
            {"email": people["contributor"].email, "password": "guess guess guess"},
            headers={"X-Forwarded-For": f"192.0.2.{n}"},
        ).status_code
        for n in range(11)
    ]
    assert statuses == [422] * 10 + [429]


@pytest.fixture
def proxied_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app behind one reverse proxy, which names the client in X-Forwarded-For."""
    application = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "proxied"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "PROXY_COUNT": 1,
        }
    )
    application.test_client_class = Client
    yield application
    with application.app_context():
        db.engine.dispose()


def test_behind_a_proxy_the_owner_signs_in_while_someone_elsewhere_is_refused(
    app, proxied_app, people
):
    victim = people["contributor"]
    proxy = "10.0.0.2"
    attacker: Client = proxied_app.test_client()  # type: ignore[assignment]
    attacker.environ_base.update(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    owner: Client = proxied_app.test_client()  # type: ignore[assignment]
    owner.environ_base.update(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=OWNER)
    assert guess_until_refused(attacker, victim) == 10
    assert attempt(owner, victim, PASSWORD) == 303


def test_wrong_passwords_from_many_places_are_still_limited_per_address(app, new_client, people):
    app.config["SIGN_IN_LIMIT_PER_EMAIL"] = "6 per hour"
    victim = people["contributor"]
    answered = [guess_until_refused(browser(new_client, f"203.0.113.{n}"), victim) for n in (1, 2)]
    assert answered == [6, 0]
    # A new browser anywhere is refused now, even with the right password.
    assert attempt(browser(new_client, OWNER), victim, PASSWORD) == 429


def test_the_owner_s_own_browser_signs_in_when_the_address_is_used_up_everywhere(
    app, new_client, people
):
    app.config["SIGN_IN_LIMIT_PER_EMAIL"] = "6 per hour"
    victim = people["contributor"]
    laptop = remembered_browser(new_client, victim)
    for n in (1, 2):
        guess_until_refused(browser(new_client, f"203.0.113.{n}"), victim)
    assert attempt(browser(new_client, "198.51.100.99"), victim, PASSWORD) == 429
    assert attempt(laptop, victim, PASSWORD) == 303


def test_a_wrong_password_from_a_remembered_browser_counts_against_that_browser(
    app, new_client, people
):
    app.config["SIGN_IN_LIMIT_PER_DEVICE"] = "3 per 5 minutes"
    person = people["contributor"]
    laptop = remembered_browser(new_client, person)
    assert [attempt(laptop, person) for _ in range(3)] == [422, 422, 422]
    assert attempt(laptop, person, PASSWORD) == 429
    # Those guesses were the browser's: the address itself is not held back anywhere.
    assert attempt(browser(new_client, OWNER), person, PASSWORD) == 303


def _forged(secret: str, payload: object) -> str:
    return URLSafeTimedSerializer(secret, salt="sign-in-device").dumps(payload)


@pytest.mark.parametrize("forgery", ["someone_else", "wrong_key", "unsigned", "garbage"])
def test_a_forged_or_someone_else_s_device_cookie_gives_no_exemption(
    app, new_client, people, forgery
):
    app.config["SIGN_IN_LIMIT_PER_EMAIL"] = "6 per hour"
    victim = people["contributor"]
    laptop = remembered_browser(new_client, victim)
    genuine = laptop.get_cookie(DEVICE_COOKIE)
    assert genuine is not None
    intruder = browser(new_client, ATTACKER)
    if forgery == "someone_else":
        intruder.sign_in(people["other"])
        intruder.post_form("/sign-out", {})
    else:
        payload_of_genuine = json.loads(
            base64.urlsafe_b64decode(genuine.value.split(".")[0] + "==")
        )
        value = {
            "wrong_key": _forged("not-the-secret", payload_of_genuine),
            "unsigned": genuine.value.split(".")[0],
            "garbage": "x" * 40,
        }[forgery]
        intruder.set_cookie(DEVICE_COOKIE, value)
    for n in (1, 2):
        guess_until_refused(browser(new_client, f"203.0.113.{n}"), victim)
    assert attempt(intruder, victim) == 429
    assert attempt(intruder, victim, PASSWORD) == 429
    # The genuine cookie, in the owner's own browser, still lets them in.
    assert attempt(laptop, victim, PASSWORD) == 303


def test_the_device_cookie_is_long_lived_http_only_secure_and_names_nobody_in_clear(client, people):
    response = client.sign_in(people["contributor"])
    header = next(
        h for h in response.headers.getlist("Set-Cookie") if h.startswith(DEVICE_COOKIE + "=")
    )
    assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
    assert "SameSite=Strict" in header and "Domain" not in header
    max_age = re.search(r"Max-Age=(\d+)", header)
    assert max_age and int(max_age.group(1)) >= 90 * 86_400
    value = header.split(";")[0].split("=", 1)[1]
    payload = base64.urlsafe_b64decode(value.split(".")[0] + "==").decode()
    assert "contributor" not in value and "contributor" not in payload


def test_without_secure_cookies_the_device_cookie_drops_the_host_prefix(app, client, people):
    app.config["SESSION_COOKIE_SECURE"] = False
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": PASSWORD}
    )
    header = next(h for h in response.headers.getlist("Set-Cookie") if "device" in h)
    assert header.startswith("grid-device=") and "Secure" not in header


def _refusal(new_client, email: str, address: str) -> str:
    guesser = browser(new_client, address)
    for _ in range(10):
        guesser.post_form("/sign-in", {"email": email, "password": "guess guess guess"})
    refused = guesser.post_form("/sign-in", {"email": email, "password": PASSWORD})
    assert refused.status_code == 429
    return str(refused.text)


def test_a_refusal_keeps_the_address_says_what_to_do_and_not_whether_it_exists(new_client, people):
    known = _refusal(new_client, people["contributor"].email, "203.0.113.1")
    unknown = _refusal(new_client, "nobody@example.org", "203.0.113.2")
    assert 'value="contributor@example.org"' in known
    assert "Too many attempts to sign in" in known
    assert re.search(r"Try again in \d+ minutes?", known)
    assert "where you have signed in here before" in known
    assert PASSWORD not in known and "guess guess" not in known
    assert _without_tokens(known, "contributor@example.org") == _without_tokens(
        unknown, "nobody@example.org"
    )


def _without_tokens(page: str, email: str) -> str:
    """The page without the address, nor what differs from one moment to the next: the
    CSRF token, nonces and the minutes left to wait."""
    page = re.sub(r'"[\w.-]{20,}"', '""', page.replace(email, "X"))
    return re.sub(r"\d+ minutes?", "N minutes", page)


def test_no_limit_key_holds_an_email_address(app, tmp_path, database_url, new_client):
    import redis

    local = uuid.uuid4().hex
    email = f"{local}@example.org"
    with app.app_context():
        create_user(OPERATOR, email, "Someone", PASSWORD)
        db.session.commit()
    instance = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "redis"),
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        }
    )
    instance.test_client_class = Client
    laptop: Client = instance.test_client()  # type: ignore[assignment]
    laptop.environ_base["REMOTE_ADDR"] = unique_address()
    person = Person(0, email, "Someone")
    laptop.sign_in(person)
    assert attempt(laptop, person) == 422
    with instance.app_context():
        db.engine.dispose()
    digest = hmac.new(b"test-secret", email.encode(), "sha256").hexdigest()[:32]
    cookie = laptop.get_cookie(DEVICE_COOKIE)
    assert cookie is not None
    _named, device = json.loads(base64.urlsafe_b64decode(cookie.value.split(".")[0] + "=="))
    # Redis outlives tests: only this test's own keys are looked at.
    keys = [k.decode() for k in redis.Redis(db=15).keys("*")]
    assert [k for k in keys if f"sign-in:{digest}/" in k or f"sign-in:{digest}:" in k]
    assert [k for k in keys if f"sign-in-device:{device}" in k]
    assert not [k for k in keys if local in k]

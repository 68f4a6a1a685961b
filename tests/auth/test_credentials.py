"""How passwords and sign-in tokens are taken and kept: as typed, masked, long and random."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from grid_app.auth import service, tokens
from grid_app.auth.models import OPERATOR, User, UserSession
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.extensions import db
from tests.conftest import PASSWORD


def _password_inputs(html):
    return re.findall(
        r"<input[^>]*name=\"(?:current_password|password|confirm_password)\"[^>]*>", html
    )


def test_every_password_box_is_masked_and_open_to_password_managers(client, people):
    boxes = _password_inputs(client.get("/sign-in").text)
    client.sign_in(people["contributor"])
    boxes += _password_inputs(client.get("/profile").text)
    assert len(boxes) >= 4
    for box in boxes:
        assert 'type="password"' in box
        assert re.search(r'autocomplete="(current|new)-password"', box)
        # Nothing stops pasting: no handler, and no attribute that turns autofill off.
        assert "onpaste" not in box and 'autocomplete="off"' not in box


@pytest.mark.parametrize(
    "typed",
    [PASSWORD.upper(), PASSWORD[:-1], PASSWORD + " ", " " + PASSWORD],
)
def test_the_password_is_checked_exactly_as_typed(client, people, typed):
    response = client.post_form(
        "/sign-in", {"email": people["contributor"].email, "password": typed}
    )
    assert response.status_code == 422


def test_a_long_password_counts_to_its_last_character(app, client, people):
    long = "plum kettle across winter " * 9  # 234 characters
    with app.app_context():
        service.set_password(OPERATOR, people["other"].email, long)
        db.session.commit()
    refused = client.post_form("/sign-in", {"email": people["other"].email, "password": long[:-1]})
    assert refused.status_code == 422
    accepted = client.post_form("/sign-in", {"email": people["other"].email, "password": long})
    assert accepted.status_code == 303


def test_a_password_never_expires_however_old(app, client, people):
    with app.app_context():
        user = db.session.get_one(User, people["contributor"].id)
        user.created_at = utcnow() - timedelta(days=5 * 365)
        db.session.commit()
    client.sign_in(people["contributor"])
    assert client.get("/profile").status_code == 200


def test_session_tokens_are_long_random_and_stored_only_as_hashes(app, people):
    with app.app_context():
        user = db.session.get_one(User, people["contributor"].id)
        issued = [service.start_session(user) for _ in range(20)]
        stored = set(db.session.scalars(db.select(UserSession.token_hash)))
        db.session.rollback()
    assert len(set(issued)) == 20
    # 32 random bytes, base64: 256 bits, twice the 128 asked for.
    assert all(len(token) >= 43 for token in issued)
    assert not stored & set(issued)


def test_opening_an_emailed_link_alone_signs_nobody_in(app, client, people):
    with app.app_context():
        raw = tokens.issue(
            db.session.get_one(User, people["contributor"].id),
            TokenPurpose.RESET,
            timedelta(hours=1),
        )
        db.session.commit()
    assert client.get(f"/reset-password/{raw}").status_code == 200
    assert client.get("/profile").status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(UserSession.id))) == 0


@pytest.mark.parametrize("path", ["/", "/grids/{slug}", "/profile", "/people", "/audit"])
def test_every_signed_in_page_offers_sign_out(client, people, grid, path):
    client.sign_in(people["admin"])
    response = client.get(path.format(slug=grid.slug), follow_redirects=True)
    assert response.status_code == 200
    assert 'action="/sign-out"' in response.text

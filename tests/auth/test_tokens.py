"""Single-use account links: hashed, bound to a purpose and a person, expiring on the server."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from grid_app.auth import tokens
from grid_app.auth.models import AccountToken, User
from grid_app.auth.tokens import TokenPurpose
from grid_app.database import utcnow
from grid_app.errors import NotFound
from grid_app.extensions import db

HOUR = timedelta(hours=1)


def _person(people, key="contributor"):
    return db.session.get_one(User, people[key].id)


def test_only_a_hash_of_the_link_is_stored(app, people):
    with app.app_context():
        raw = tokens.issue(_person(people), TokenPurpose.RESET, HOUR)
        stored = db.session.scalars(db.select(AccountToken.token_hash)).all()
    assert stored == [hashlib.sha256(raw.encode()).hexdigest()]
    assert raw not in stored[0]


def test_a_link_works_once(app, people):
    with app.app_context():
        raw = tokens.issue(_person(people), TokenPurpose.RESET, HOUR)
        assert tokens.consume(raw, TokenPurpose.RESET).id == people["contributor"].id
        with pytest.raises(tokens.LinkUsed):
            tokens.consume(raw, TokenPurpose.RESET)


def test_an_expired_link_is_refused_by_the_server(app, people):
    with app.app_context():
        raw = tokens.issue(_person(people), TokenPurpose.RESET, HOUR)
        with pytest.raises(tokens.LinkUsed):
            tokens.check(raw, TokenPurpose.RESET, now=utcnow() + HOUR + timedelta(seconds=1))


def test_a_link_for_another_purpose_is_unknown(app, people):
    with app.app_context():
        raw = tokens.issue(_person(people), TokenPurpose.INVITE, HOUR)
        with pytest.raises(NotFound):
            tokens.consume(raw, TokenPurpose.RESET)


def test_a_new_link_voids_the_person_s_earlier_ones_but_nobody_else_s(app, people):
    with app.app_context():
        first = tokens.issue(_person(people), TokenPurpose.RESET, HOUR)
        others = tokens.issue(_person(people, "other"), TokenPurpose.RESET, HOUR)
        second = tokens.issue(_person(people), TokenPurpose.RESET, HOUR)
        with pytest.raises(tokens.LinkUsed):
            tokens.check(first, TokenPurpose.RESET)
        assert tokens.check(second, TokenPurpose.RESET).id == people["contributor"].id
        assert tokens.check(others, TokenPurpose.RESET).id == people["other"].id


def test_a_switched_off_person_s_link_is_refused(app, people):
    with app.app_context():
        person = _person(people)
        raw = tokens.issue(person, TokenPurpose.RESET, HOUR)
        person.active = False
        with pytest.raises(tokens.LinkUsed):
            tokens.check(raw, TokenPurpose.RESET)

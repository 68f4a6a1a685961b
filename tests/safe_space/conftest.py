"""A session held by the facilitator, with the contributor and "other" invited and joined,
and the manager, admin and reader not invited."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

from grid_app.auth.models import User
from grid_app.extensions import db
from grid_app.safe_space import service
from grid_app.safe_space.models import Contribution, SafeSpaceSession
from tests.conftest import Person


@dataclass(frozen=True)
class SessionRef:
    """The test session's id."""

    id: int

    @property
    def url(self) -> str:
        """The session page's address."""
        return f"/safe-space/{self.id}"


def user(person: Person) -> User:
    """The person's row, in the current app context."""
    return db.session.get_one(User, person.id)


def held(session_id: int) -> SafeSpaceSession:
    """The session's row, in the current app context."""
    return db.session.get_one(SafeSpaceSession, session_id)


@pytest.fixture
def safe_session(app: Flask, people: dict[str, Person]) -> SessionRef:
    """An open session; the contributor and "other" have accepted its ground rules."""
    with app.app_context():
        created = service.create_meeting(
            user(people["facilitator"]),
            service.SessionFields(
                title="Listening session",
                starts_at="2027-01-14T10:00",
                ground_rules=service.DEFAULT_GROUND_RULES,
                signposting=service.DEFAULT_SIGNPOSTING,
                invitees="contributor@example.org\nother@example.org",
            ),
        )
        for key in ("contributor", "other"):
            service.accept_rules(user(people[key]), created)
        db.session.commit()
        return SessionRef(created.id)


def contribute(
    app: Flask, person: Person, session: SessionRef, body: str, anonymous: bool = False
) -> tuple[str, str | None]:
    """Add a contribution through the service: its key and receipt code (if anonymous).

    An anonymous one is sealed into the board at once, as the facilitator could."""
    with app.app_context():
        made, receipt = service.add_contribution(
            user(person), held(session.id), body=body, anonymous=anonymous
        )
        db.session.commit()
        if receipt is None:
            return made.id, None
        return seal_all(app, session)[body], receipt


def seal_all(app: Flask, session: SessionRef) -> dict[str, str]:
    """Seal the session's waiting contributions; the key of each contribution by its text."""
    with app.app_context():
        service.seal(held(session.id))
        db.session.commit()
        return dict(
            db.session.execute(
                select(Contribution.body, Contribution.id).where(
                    Contribution.session_id == session.id
                )
            ).all()
        )

"""A deactivated person is sent nothing: not even a request to agree to an insight."""

from __future__ import annotations

from flask import Flask

from grid_app.auth.models import OPERATOR
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db
from grid_app.people import service
from grid_app.safe_space.models import Theme
from tests.safe_space.conftest import contribute, safe_session, user  # noqa: F401


def mail_to(app: Flask, address: str) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                db.select(OutgoingMail.subject).where(OutgoingMail.to_address == address)
            )
        )


def test_a_deactivated_named_contributor_is_not_asked_to_agree_to_an_insight(
    app,
    client,
    people,
    safe_session,  # noqa: F811
):
    named, _ = contribute(app, people["contributor"], safe_session, "My named words")
    with app.app_context():
        service.deactivate(OPERATOR, user(people["contributor"]))
        db.session.commit()
    before = mail_to(app, people["contributor"].email)
    client.sign_in(people["facilitator"])
    client.post_form(f"{safe_session.url}/themes", {"name": "Pay"})
    with app.app_context():
        theme = db.session.scalar(db.select(Theme.id))
    client.post_form(
        f"{safe_session.url}/contributions/theme", {"contribution": [named], "theme": str(theme)}
    )
    drafted = client.post_form(f"{safe_session.url}/insights", {"theme": str(theme), "text": "W"})
    assert drafted.status_code == 303
    # Saving the wording is what asks the named contributors to agree.
    assert client.post_form(drafted.headers["Location"], {"text": "Worded"}).status_code == 303
    assert mail_to(app, people["contributor"].email) == before

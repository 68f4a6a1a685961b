"""Nothing a safe-space participant wrote ever reaches the audit log, on the page or in CSV."""

from __future__ import annotations

from flask import Flask

from grid_app.audit import service as audit
from grid_app.extensions import db
from grid_app.safe_space import service
from grid_app.safe_space.models import Contribution
from tests.conftest import HX
from tests.safe_space.conftest import contribute, held, safe_session, user

__all__ = ["safe_session"]  # the fixture, used by name below

NAMED = "My manager said my accent was unprofessional"
ANONYMOUS = "I was passed over twice for acting up roles"


def test_safe_space_events_show_what_happened_and_never_what_was_written(
    app: Flask, client, new_client, people, safe_session
):
    named, _ = contribute(app, people["contributor"], safe_session, NAMED)
    contribute(app, people["other"], safe_session, ANONYMOUS, anonymous=True)
    facilitator = new_client()
    facilitator.sign_in(people["facilitator"])
    assert NAMED in facilitator.get(safe_session.url).text
    summary = facilitator.get(f"{safe_session.url}/summary.md?raw=1")
    assert summary.status_code == 200 and NAMED in summary.text
    with app.app_context():
        fay = user(people["facilitator"])
        service.set_hidden(fay, db.session.get_one(Contribution, named), True)
        service.close_meeting(fay, held(safe_session.id))
        # Were a later change to put what was said into an event's details, under a key
        # the log shows or one it does not, the log would still leave it out.
        audit.record(
            fay,
            "safe_space.contributions_read",
            "safe_space_session",
            safe_session.id,
            what=NAMED,
            body=ANONYMOUS,
        )
        audit.record(fay, "safe_space.brand_new", "safe_space_session", safe_session.id, text=NAMED)
        db.session.commit()

    client.sign_in(people["admin"])
    number = safe_session.id
    page = client.get("/audit").text
    fragment = client.get("/audit?action=safe_space.contributions_read", headers=HX).text
    download = client.get("/audit.csv").text
    for shown in (page, fragment, download):
        assert NAMED not in shown and ANONYMOUS not in shown
        assert "Listening session" not in shown  # sessions are named by number only
    assert f"Fay Facilitator read session {number}" in page
    assert f"Fay Facilitator read the summary of session {number} with what was said" in page
    assert f"Fay Facilitator hid a contribution in session {number}" in page
    assert f"Fay Facilitator closed session {number}" in page
    assert f"Fay Facilitator did “safe_space.brand_new” to session {number}" in page
    assert f"Cara Contributor accepted the ground rules of session {number}" in page
    assert f"Fay Facilitator read session {number}" in download

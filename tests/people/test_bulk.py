"""Inviting many people: a pasted list or a CSV, a preview that writes nothing, then sending."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import OPERATOR, User
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db
from grid_app.people import invitations


def counts(app: Flask) -> tuple[int, int, int]:
    """People, queued mails and audit events: what a preview must not change."""
    with app.app_context():
        return (
            db.session.scalar(db.select(db.func.count()).select_from(User)) or 0,
            db.session.scalar(db.select(db.func.count()).select_from(OutgoingMail)) or 0,
            db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) or 0,
        )


def status_of(app: Flask, email: str) -> str | None:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        return user.status if user else None


def rows_of(page: str) -> dict[str, str]:
    """Email address → what will happen, from the preview table."""
    found = {}
    for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S)
        if cells:
            found[cells[1]] = cells[4]
    return found


def carried(page: str) -> str:
    found = re.search(r'name="rows" value="([^"]*)"', page)
    assert found is not None
    import html

    return html.unescape(found.group(1))


PASTED = """
Nia New <nia@example.org>
kai@example.org, Kai Kay
contributor@example.org
not an address
NIA@example.org
waiting@example.org
"""


def test_a_pasted_list_is_previewed_row_by_row_without_writing_then_sent(app, client, people):
    with app.app_context():
        invitations.invite(OPERATOR, "waiting@example.org", ["contributor"])
        db.session.commit()
    client.sign_in(people["admin"])
    form = client.get("/people/invite/many").text
    assert "The first row names the columns: <code>email</code>" in form
    before = counts(app)
    preview = client.post_form("/people/invite/many", {"addresses": PASTED, "roles": ["manager"]})
    assert preview.status_code == 200
    assert counts(app) == before  # the preview wrote nothing
    rows = rows_of(preview.text)
    assert rows["nia@example.org"] == "Will be invited"
    assert rows["kai@example.org"] == "Will be invited"
    assert rows["contributor@example.org"].startswith("Already has an account")
    assert rows["not an address"].startswith("Not an email address")
    assert "Already in the list: left out (line 2)" in preview.text
    assert rows["waiting@example.org"].startswith("Already invited: will be sent a new link")
    assert "Send 3 invitations" in preview.text

    sent = client.post_form("/people/invite/many/send", {"rows": carried(preview.text)})
    assert sent.status_code == 303
    assert "Invitations sent: 2 new, 1 sent again." in client.get("/people/invite/many").text
    assert status_of(app, "nia@example.org") == "invited"
    with app.app_context():
        kai = db.session.scalar(db.select(User).where(User.email == "kai@example.org"))
        assert kai is not None and kai.display_name == "Kai Kay"
        assert {r.value for r in kai.roles} == {"manager"}
        mails = db.session.scalars(db.select(OutgoingMail.to_address)).all()
        assert sorted(mails) == [
            "kai@example.org",
            "nia@example.org",
            "waiting@example.org",
            "waiting@example.org",
        ]
        (summary,) = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "user.bulk_invited")
        ).all()
        assert summary.details == {"invited": 2, "resent": 1}


def test_sending_checks_again_as_things_now_stand(app, client, people):
    client.sign_in(people["admin"])
    preview = client.post_form(
        "/people/invite/many", {"addresses": "late@example.org", "roles": ["contributor"]}
    )
    with app.app_context():
        invitations.invite(OPERATOR, "late@example.org", ["contributor"])
        db.session.commit()
    client.post_form("/people/invite/many/send", {"rows": carried(preview.text)})
    with app.app_context():
        users = db.session.scalars(db.select(User).where(User.email == "late@example.org")).all()
        assert len(users) == 1
        sent = db.session.scalars(db.select(OutgoingMail.to_address)).all()
    # Invited meanwhile: sent a new link rather than invited twice.
    assert sent == ["late@example.org", "late@example.org"]


def test_a_tampered_confirmation_cannot_grant_admin_as_a_manager(app, client, people):
    with app.app_context():
        invitations.set_managers_may_invite(OPERATOR, True)
        db.session.commit()
    client.sign_in(people["manager"])
    response = client.post_form(
        "/people/invite/many/send", {"rows": "email,name,roles\nx@example.org,X,admin\n"}
    )
    assert response.status_code == 303
    assert status_of(app, "x@example.org") is None
    preview = client.post_form(
        "/people/invite/many", {"addresses": "y@example.org", "roles": ["admin"]}
    )
    assert preview.status_code == 403


def test_a_csv_file_gives_names_and_roles_per_row(app, client, people):
    client.sign_in(people["admin"])
    data = (
        b"Email,Name,Roles\n"
        b"one@example.org,Una One,contributor;facilitator\n"
        b"two@example.org,,\n"
        b"three@example.org,Tre,wizard\n"
        b"\n"
    )
    preview = client.post_form(
        "/people/invite/many",
        {"file": (io.BytesIO(data), "people.csv"), "roles": ["manager"]},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.text
    rows = rows_of(preview.text)
    assert rows["one@example.org"] == "Will be invited"
    assert rows["three@example.org"].startswith("Roles not allowed")
    assert "Contributor, Facilitator" in preview.text
    client.post_form("/people/invite/many/send", {"rows": carried(preview.text)})
    with app.app_context():
        one = db.session.scalar(db.select(User).where(User.email == "one@example.org"))
        two = db.session.scalar(db.select(User).where(User.email == "two@example.org"))
        assert one is not None and {r.value for r in one.roles} == {"contributor", "facilitator"}
        assert two is not None and {r.value for r in two.roles} == {"manager"}
    assert status_of(app, "three@example.org") is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,roles\nA,contributor\n", "The first row must name the columns"),
        (b"\xff\xfe\x00bad", "Save the file as CSV (UTF-8)"),
        (b"", "The file is empty."),
        (b"email\n" + b"x" * 300_000, "Choose a CSV file of up to 256 KB."),
    ],
)
def test_a_bad_csv_is_refused_beside_the_file_field(app, client, people, data, message):
    client.sign_in(people["admin"])
    before = counts(app)
    response = client.post_form(
        "/people/invite/many",
        {"file": (io.BytesIO(data), "people.csv"), "roles": ["contributor"]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in response.text and 'href="#bulk-file"' in response.text
    assert counts(app) == before


def test_too_many_rows_are_refused_with_how_many(app, client, people):
    app.config["INVITE_MAX_ROWS"] = 5
    client.sign_in(people["admin"])
    pasted = "\n".join(f"p{n}@example.org" for n in range(6))
    response = client.post_form(
        "/people/invite/many", {"addresses": pasted, "roles": ["contributor"]}
    )
    assert response.status_code == 422
    assert "Invite up to 5 people at a time: this has 6." in response.text
    assert "p5@example.org" in response.text  # the list is kept
    csv_rows = "email\n" + pasted
    response = client.post_form(
        "/people/invite/many",
        {"file": (io.BytesIO(csv_rows.encode()), "p.csv"), "roles": ["contributor"]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "this has 6" in response.text


def test_an_empty_list_or_no_roles_is_refused(app, client, people):
    client.sign_in(people["admin"])
    empty = client.post_form("/people/invite/many", {"addresses": "  ", "roles": ["contributor"]})
    assert empty.status_code == 422 and "Paste at least one email address" in empty.text
    no_roles = client.post_form("/people/invite/many", {"addresses": "a@example.org"})
    assert no_roles.status_code == 422 and "Choose at least one role." in no_roles.text
    assert "a@example.org" in no_roles.text
    bad = client.post_form("/people/invite/many/send", {"rows": "nothing useful"})
    assert bad.status_code == 422

"""create-admin and invite at the command line, audited as the operator."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.security import check_password_hash

from grid_app.audit.models import AuditEvent
from grid_app.auth.models import User
from grid_app.discussion import mail
from grid_app.extensions import db
from tests.conftest import use_smtp

GOOD = "plum kettle across winter"


def user(app: Flask, email: str) -> User | None:
    with app.app_context():
        found = db.session.scalar(db.select(User).where(User.email == email))
        if found is not None:
            _ = found.roles, found.status
        return found


def audited(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_create_admin_asks_twice_for_a_password_and_creates_an_active_admin(app, people):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "Boss@Example.org", "--name", "Bo Boss"], input=f"{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output  # hidden input
    created = user(app, "boss@example.org")
    assert created is not None and created.active and created.display_name == "Bo Boss"
    assert {r.value for r in created.roles} == {"admin", "contributor"}
    assert check_password_hash(created.password_hash, GOOD)
    (event,) = audited(app, "user.created")[-1:]
    assert event.actor_id is None and event.target_id == str(created.id)


def test_create_admin_applies_the_password_rules(app, people):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["create-admin", "b@example.org", "--name", "B"], input="short\nshort\n"
    )
    assert short.exit_code == 2 and "Use at least 12 characters." in short.output
    differ = runner.invoke(
        args=["create-admin", "b@example.org", "--name", "B"],
        input=f"{GOOD}\n{GOOD}x\n{GOOD}\n{GOOD}\n",
    )
    assert differ.exit_code == 0 and "do not match" in differ.output.lower()
    assert user(app, "b@example.org") is not None


def test_create_admin_refuses_an_existing_address_or_a_bad_one(app, people):
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["create-admin", "admin@example.org", "--name", "X"], input="")
    assert taken.exit_code == 2
    assert "admin@example.org already has an account" in taken.output
    bad = runner.invoke(args=["create-admin", "nope", "--name", "X"], input="")
    assert bad.exit_code == 2 and "Enter an email address" in bad.output


def test_create_admin_with_invite_emails_a_working_link(app, new_client, people, smtp_server):
    use_smtp(app, smtp_server.port)
    result = app.test_cli_runner().invoke(args=["create-admin", "boss@example.org", "--invite"])
    assert result.exit_code == 0, result.output
    invited = user(app, "boss@example.org")
    assert invited is not None and invited.status == "invited"
    assert {r.value for r in invited.roles} == {"admin", "contributor"}
    (event,) = audited(app, "user.invited")
    assert event.actor_id is None
    with app.app_context():
        mail.deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert "An administrator has invited you" in received.get_content()
    found = re.search(r"https://grid\.example\.org(/invitation/\S+)", received.get_content())
    assert found is not None
    browser = new_client()
    joined = browser.post_form(
        found.group(1), {"display_name": "Bo Boss", "password": GOOD, "confirm_password": GOOD}
    )
    assert joined.status_code == 303
    assert browser.get("/people").status_code == 200  # an admin now


def test_invite_gives_the_roles_named(app, people):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["invite", "m@example.org", "--role", "manager", "--role", "contributor"]
    )
    assert result.exit_code == 0, result.output
    invited = user(app, "m@example.org")
    assert invited is not None and {r.value for r in invited.roles} == {"contributor", "manager"}
    again = runner.invoke(args=["invite", "m@example.org"])
    assert again.exit_code == 2 and "already been invited" in again.output


def test_create_admin_asks_for_a_name_when_none_is_given(app, people):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "named@example.org"], input=f"Nell Named\n{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    created = user(app, "named@example.org")
    assert created is not None and created.display_name == "Nell Named"

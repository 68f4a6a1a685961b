"""Retention settings an admin sees and changes, enforced by purge-expired with a dry run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from grid_app.audit.models import AuditEvent
from grid_app.database import utcnow
from grid_app.discussion.models import Notification
from grid_app.extensions import db
from tests.conftest import Client, GridRef, Person


def _settings(client: Client, **days: str) -> dict[str, str]:
    return {"audit_log": "730", "sign_ins": "90", "notifications": "180", **days}


def test_an_admin_changes_how_long_sign_in_records_are_kept_and_it_is_audited(
    app: Flask, client: Client, people: dict[str, Person]
) -> None:
    client.sign_in(people["admin"])
    page = client.get("/retention")
    assert page.status_code == 200
    assert 'value="90"' in page.get_data(as_text=True)
    saved = client.post_form("/retention", _settings(client, sign_ins="30"))
    assert saved.status_code == 303
    html = client.get("/retention").get_data(as_text=True)
    assert 'value="30"' in html and "have been saved" in html
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.changed")
        ).one()
        assert event.actor_id == people["admin"].id
        assert event.details == {"kind": "sign_ins", "before": 90, "after": 30}
    log = client.get("/audit").get_data(as_text=True)
    assert "changed the retention period of the sign-in records from 90 to 30 days" in log
    assert "Sign-in records: 30 days" in client.get("/privacy").get_data(as_text=True)


def test_the_form_swaps_in_place_with_htmx(client: Client, people: dict[str, Person]) -> None:
    client.sign_in(people["admin"])
    swapped = client.post_form(
        "/retention", _settings(client, notifications="60"), headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200
    html = swapped.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="retention-form"')
    assert 'value="60"' in html and "have been saved" in html


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a number of days."),
        ("soon", "Enter a whole number of days, like 90."),
        ("3", "between 90 and 3,650 days"),
        ("99999", "between 90 and 3,650 days"),
    ],
)
def test_a_bad_period_is_refused_beside_its_field_and_nothing_changes(
    app: Flask, client: Client, people: dict[str, Person], typed: str, message: str
) -> None:
    client.sign_in(people["admin"])
    refused = client.post_form("/retention", _settings(client, audit_log=typed, sign_ins="45"))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert message in html
    assert 'id="keep-audit-log-error"' in html
    assert f'value="{typed}"' in html and 'value="45"' in html  # what they typed is kept
    with app.app_context():
        changed = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "retention.changed")
        )
    assert changed == 0
    assert 'value="90"' in client.get("/retention").get_data(as_text=True)


@pytest.mark.parametrize("key", ["contributor", "manager", "facilitator", "reader"])
def test_only_admins_see_or_change_retention(
    client: Client, people: dict[str, Person], key: str
) -> None:
    client.sign_in(people[key])
    assert client.get("/retention").status_code == 403
    assert client.post_form("/retention", _settings(client, sign_ins="7")).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client: Client) -> None:
    assert client.get("/retention").status_code in (302, 303)


def _age(app: Flask, people: dict[str, Person], cell_id: int) -> None:
    """Old and new records of each kind: two of each older than its default period."""
    now = utcnow()
    with app.app_context():
        for days in (800, 740, 10):
            db.session.add(
                AuditEvent(action="grid.exported", created_at=now - timedelta(days=days))
            )
        for days in (100, 95, 10):
            db.session.add(
                AuditEvent(
                    action="auth.signed_in",
                    actor_id=people["other"].id,
                    created_at=now - timedelta(days=days),
                )
            )
        for days in (200, 190, 10):
            db.session.add(
                Notification(
                    user_id=people["other"].id,
                    kind="comment",
                    message="Olu replied",
                    cell_id=cell_id,
                    created_at=now - timedelta(days=days),
                )
            )
        db.session.commit()


def _held(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "grid.exported")
            )
            or 0,
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "auth.signed_in")
            )
            or 0,
            db.session.scalar(select(func.count(Notification.id))) or 0,
        )


def test_purge_expired_deletes_what_is_past_its_period_after_a_dry_run(
    app: Flask, people: dict[str, Person], grid: GridRef
) -> None:
    _age(app, people, grid.cells[("Social work", "Strategy")])
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge-expired", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would delete 2 records from the audit log." in dry.output
    assert "Would delete 2 records from the sign-in records." in dry.output
    assert "Would delete 2 records from the notifications." in dry.output
    assert _held(app) == (3, 3, 3)

    done = runner.invoke(args=["purge-expired"])
    assert done.exit_code == 0, done.output
    assert "Deleted 2 records from the audit log." in done.output
    assert _held(app) == (1, 1, 1)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.purged")
        ).one()
        assert event.details == {"audit_log": 2, "sign_ins": 2, "notifications": 2}
    again = runner.invoke(args=["purge-expired"])
    assert "Deleted 0 records from the audit log." in again.output


def test_a_shorter_period_set_by_an_admin_is_what_the_purge_enforces(
    app: Flask, client: Client, people: dict[str, Person], grid: GridRef
) -> None:
    _age(app, people, grid.cells[("Social work", "Strategy")])
    client.sign_in(people["admin"])
    client.post_form("/retention", _settings(client, notifications="7"))
    done = app.test_cli_runner().invoke(args=["purge-expired"])
    assert "Deleted 3 records from the notifications." in done.output
    assert _held(app)[2] == 0

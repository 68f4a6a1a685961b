"""Operator commands: demo data, adding people, verifying history."""

from __future__ import annotations

from sqlalchemy import func, select, text

from grid_app.auth.models import Role, User
from grid_app.extensions import db
from grid_app.gaps.models import GapFlag
from grid_app.grid.models import Cell, CellRevision, Grid, ServiceArea
from grid_app.safe_space.models import Contribution, Insight, SafeSpaceSession
from tests.grid.test_tampering import behind_the_apps_back


def test_seed_demo_loads_the_grid_once_and_prints_the_sign_ins(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "contributor@example.org" in first.output and "admin@example.org" in first.output
    with app.app_context():
        counts = (
            db.session.scalar(select(func.count(Grid.id))),
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(CellRevision.id))),
            db.session.scalar(select(func.count(SafeSpaceSession.id))),
            db.session.scalar(select(func.count(Contribution.id))),
        )
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert "nothing loaded" in second.output and "Loaded" not in second.output
    with app.app_context():
        assert counts == (
            db.session.scalar(select(func.count(Grid.id))),
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(CellRevision.id))),
            db.session.scalar(select(func.count(SafeSpaceSession.id))),
            db.session.scalar(select(func.count(Contribution.id))),
        )
        areas = list(db.session.scalars(select(ServiceArea.name)))
        empty = db.session.scalar(select(func.count(Cell.id)).where(Cell.text == ""))
        evidence = " ".join(db.session.scalars(select(Cell.text)))
    assert counts[0] == 1 and counts[1] >= 4
    assert "Safe spaces for staff" in areas and "Youth Justice" in areas and len(areas) == 8
    assert empty and empty >= 5  # gaps left visible on purpose
    assert "186 children in care" in evidence and "83%" in evidence and "28%" in evidence
    with app.app_context():
        statuses = sorted(db.session.scalars(select(GapFlag.status)))
    assert statuses == ["acknowledged", "acknowledged", "open"]  # gaps to triage
    # A listening session under way: open, with a theme and an insight awaiting agreement.
    assert counts[3:] == (1, 4)
    with app.app_context():
        session = db.session.scalars(select(SafeSpaceSession)).one()
        insight = db.session.scalars(select(Insight)).one()
        assert session.is_open and not insight.is_promoted


def test_demo_people_can_sign_in_with_the_demo_password(app, client):
    app.test_cli_runner().invoke(args=["seed-demo"])
    response = client.post_form(
        "/sign-in", {"email": "manager@example.org", "password": app.config["DEMO_PASSWORD"]}
    )
    assert response.status_code == 303


def test_create_user_asks_for_the_password_twice(app):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--email",
            "new@example.org",
            "--name",
            "New Person",
            "--role",
            "manager",
            "--role",
            "contributor",
        ],
        input="a very good password\na very good password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a very good password" not in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.org"))
        assert user is not None and user.roles == {Role.MANAGER, Role.CONTRIBUTOR}


def test_create_user_has_no_password_argument(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X", "--password", "secret"]
    )
    assert result.exit_code != 0
    assert "No such option" in result.output


def test_create_user_refuses_a_short_password_and_a_taken_email(app, people):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["create-user", "--email", "y@example.org", "--name", "Y"], input="short\nshort\n"
    )
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    taken = runner.invoke(
        args=["create-user", "--email", people["admin"].email, "--name", "Y"],
        input="long enough password\nlong enough password\n",
    )
    assert taken.exit_code == 2 and "already has this email" in taken.output


def test_verify_history_passes_then_catches_a_revision_edited_behind_the_apps_back(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    ok = runner.invoke(args=["verify-history"])
    assert ok.exit_code == 0 and "revisions verified" in ok.output
    with behind_the_apps_back(app) as session:
        target = session.scalar(select(CellRevision).order_by(CellRevision.id).offset(3))
        assert target is not None
        target_id = target.id
        session.execute(
            text("UPDATE cell_revision SET text = 'rewritten' WHERE id = :id"), {"id": target_id}
        )
    broken = runner.invoke(args=["verify-history"])
    assert broken.exit_code == 1
    assert f"revision {target_id}" in broken.output and "content does not match" in broken.output


def test_verify_history_catches_a_deleted_revision(app, people, grid, client):
    client.sign_in(people["contributor"])
    cell_id = grid.cells[("Social work", "Strategy")]
    for version, words in enumerate(["one", "two", "three"], start=1):
        client.post_form(f"/cells/{cell_id}", {"text": words, "version": str(version)})
    with behind_the_apps_back(app) as session:
        session.execute(text("DELETE FROM cell_revision WHERE number = 2"))
    broken = app.test_cli_runner().invoke(args=["verify-history"])
    assert broken.exit_code == 1 and "expected 2" in broken.output


def _mention(app, people, grid, who: str = "manager") -> None:
    from grid_app.discussion import service as discussion

    with app.app_context():
        discussion.add_comment(
            db.session.get_one(User, people["contributor"].id),
            db.session.get_one(Cell, grid.cells[("Social work", "Evidence")]),
            body=f"Over to @{who}@example.org",
        )
        db.session.commit()


def test_send_digest_sends_each_digest_once_however_often_it_runs(app, people, grid, smtp_server):
    from tests.conftest import use_smtp

    use_smtp(app, smtp_server.port)
    with app.app_context():
        db.session.get_one(User, people["manager"].id).email_frequency = "daily"
        db.session.commit()
    _mention(app, people, grid)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-digest", "--period", "daily"])
    assert first.exit_code == 0, first.output
    assert "Queued 1 daily digest; sent 1" in first.output
    second = runner.invoke(args=["send-digest", "--period", "daily"])
    assert "Queued 0 daily digests; sent 0" in second.output
    (received,) = smtp_server.wait_for(1)
    assert received["To"] == "manager@example.org"
    assert "1 new notification (today)" in received["Subject"]
    assert "Cara Contributor mentioned you" in received.get_content()


def test_send_digest_refuses_an_unknown_period(app):
    result = app.test_cli_runner().invoke(args=["send-digest", "--period", "hourly"])
    assert result.exit_code == 2
    assert "'hourly' is not one of 'daily', 'weekly'" in result.output


def test_send_mail_retries_what_could_not_be_sent(app, people, grid, smtp_server):
    from tests.conftest import free_port, use_smtp

    use_smtp(app, free_port())
    _mention(app, people, grid)
    runner = app.test_cli_runner()
    assert "Sent 0; 1 will be retried" in runner.invoke(args=["send-mail"]).output
    use_smtp(app, smtp_server.port)
    with app.app_context():
        from grid_app.discussion.models import OutgoingMail

        db.session.execute(db.update(OutgoingMail).values(next_attempt_at=OutgoingMail.created_at))
        db.session.commit()
    assert "Sent 1;" in runner.invoke(args=["send-mail"]).output
    assert smtp_server.wait_for(1)[0]["To"] == "manager@example.org"


def test_seed_demo_refuses_outside_development_and_loads_nothing(app):
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 1
    assert "only when APP_ENV is development or demo" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Grid.id))) == 0


def test_seed_demo_loads_in_a_demo_environment(app):
    app.config["APP_ENV"] = "demo"
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Grid.id))) == 1


def test_prune_sign_ins_deletes_only_expired_sign_in_records(app, people, new_client):
    from datetime import timedelta

    from grid_app.auth.models import UserSession

    for key in ("contributor", "manager", "admin"):
        new_client().sign_in(people[key])
    with app.app_context():
        idle, old, live = db.session.scalars(select(UserSession).order_by(UserSession.id)).all()
        idle.last_seen_at -= timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
        old.created_at -= timedelta(hours=app.config["SESSION_MAX_HOURS"] + 1)
        live_id = live.id
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["prune-sign-ins"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 expired sign-in records." in result.output
    with app.app_context():
        assert list(db.session.scalars(select(UserSession.id))) == [live_id]


def test_reset_password_asks_twice_applies_the_rules_and_ends_every_session(app, client, people):
    from grid_app.audit.models import AuditEvent
    from grid_app.auth.models import UserSession

    client.sign_in(people["contributor"])
    runner = app.test_cli_runner()
    weak = runner.invoke(
        args=["reset-password", people["contributor"].email],
        input="cara's password\ncara's password\n",
    )
    assert weak.exit_code == 2 and "your name" in weak.output
    assert client.get("/profile").status_code == 200
    done = runner.invoke(
        args=["reset-password", people["contributor"].email],
        input="plum kettle across winter\nplum kettle across winter\n",
    )
    assert done.exit_code == 0, done.output
    assert "plum kettle" not in done.output
    assert client.get("/profile").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(UserSession.id))) == 0
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "auth.password_set")
        )
        assert event is not None and event.actor_id is None
        assert event.target_id == str(people["contributor"].id)


def test_reset_password_names_an_unknown_address(app):
    result = app.test_cli_runner().invoke(
        args=["reset-password", "nobody@example.org"],
        input="plum kettle across winter\nplum kettle across winter\n",
    )
    assert result.exit_code == 2 and "Nobody here has this email address" in result.output


def test_seed_demo_loads_nothing_into_a_database_named_by_database_url(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    refused = app.test_cli_runner().invoke(args=["seed-demo"])
    assert refused.exit_code == 1
    assert "DATABASE_URL is set" in refused.output
    # As `make run` calls it: said, and not an error, so that serving goes on.
    allowed = app.test_cli_runner().invoke(args=["seed-demo", "--if-allowed"])
    assert allowed.exit_code == 0 and "nothing loaded" in allowed.output.lower()
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(Grid.id))) == 0
    app.config["APP_ENV"] = "demo"
    loaded = app.test_cli_runner().invoke(args=["seed-demo", "--if-allowed"])
    assert loaded.exit_code == 0 and "Loaded the demo grid" in loaded.output

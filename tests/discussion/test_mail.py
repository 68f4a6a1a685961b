"""Mail leaves through a real SMTP server, waits and retries when it cannot, and never
breaks or slows the request that caused it."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.discussion import mail, service
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db
from grid_app.grid.models import Cell
from tests.conftest import HX, free_port, use_smtp

EVIDENCE = ("Social work", "Evidence")


def queue_one(to: str = "manager@example.org") -> int:
    sent = mail.queue(to=to, subject="Hello there", body="Open it: https://grid.example.org/x")
    db.session.commit()
    return sent.id


def test_due_mail_goes_out_over_smtp_and_is_marked_sent(app: Flask, smtp_server):
    use_smtp(app, smtp_server.port)
    with app.app_context():
        mail_id = queue_one()
        report = mail.deliver_due()
        assert (report.sent, report.retrying) == (1, 0)
        (received,) = smtp_server.wait_for(1)
        assert received["To"] == "manager@example.org"
        assert received["Subject"] == "Hello there"
        assert received["From"] == "Supporting People Grid <no-reply@localhost>"
        assert f"grid-mail-{mail_id}" in received["Message-ID"]
        assert "https://grid.example.org/x" in received.get_content()
        stored = db.session.get_one(OutgoingMail, mail_id)
        assert stored.sent_at is not None and stored.transport == "smtp"
        # Sent mail is never sent again.
        assert mail.deliver_due().sent == 0
        assert len(smtp_server.messages) == 1


def test_mail_that_cannot_be_sent_waits_and_is_retried_later(app: Flask, smtp_server):
    use_smtp(app, free_port())  # nothing listens there
    with app.app_context():
        mail_id = queue_one()
        assert mail.deliver_due().retrying == 1
        stored = db.session.get_one(OutgoingMail, mail_id)
        assert stored.sent_at is None and stored.attempts == 1
        assert "ConnectionRefusedError" in stored.last_error
        assert stored.next_attempt_at > utcnow()
        # Not due yet: nothing is tried.
        assert mail.deliver_due() == mail.DeliveryReport()

        use_smtp(app, smtp_server.port)
        report = mail.deliver_due(now=utcnow() + timedelta(minutes=2))
        assert report.sent == 1
        assert smtp_server.wait_for(1)[0]["Subject"] == "Hello there"


def test_mail_is_given_up_after_many_failures_and_kept(app: Flask):
    use_smtp(app, free_port())
    with app.app_context():
        mail_id = queue_one()
        later = utcnow()
        for _ in range(mail.MAX_ATTEMPTS):
            later += timedelta(hours=7)
            mail.deliver_due(now=later)
        stored = db.session.get_one(OutgoingMail, mail_id)
        assert stored.failed_at is not None and stored.attempts == mail.MAX_ATTEMPTS
        assert mail.deliver_due(now=later + timedelta(days=1)) == mail.DeliveryReport()


def test_without_a_mail_server_mail_is_written_to_the_outbox_folder(app: Flask, tmp_path):
    with app.app_context():
        mail_id = queue_one()
        assert mail.deliver_due().sent == 1
        (written,) = (tmp_path / "instance" / "outbox").glob("*.eml")
        assert written.name.endswith(f"-{mail_id}.eml")
        assert b"Subject: Hello there" in written.read_bytes()
        assert db.session.get_one(OutgoingMail, mail_id).transport == "file"


def test_a_mail_claimed_by_another_sender_is_left_to_it(app: Flask, smtp_server):
    use_smtp(app, smtp_server.port)
    with app.app_context():
        mail_id = queue_one()
        db.session.get_one(OutgoingMail, mail_id).claimed_until = utcnow() + timedelta(minutes=5)
        db.session.commit()
        assert mail.deliver_due().sent == 0
        assert mail.deliver_due(now=utcnow() + timedelta(minutes=6)).sent == 1


def test_a_mention_made_in_the_browser_arrives_by_mail_after_the_page_answers(
    app: Flask, client, people, grid, smtp_server
):
    use_smtp(app, smtp_server.port)
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"/cells/{grid.cells[EVIDENCE]}/comments",
        {"body": "Please check, @manager@example.org"},
        headers=HX,
    )
    assert response.status_code == 200
    (received,) = smtp_server.wait_for(1)
    mail.wait_for_senders()
    assert received["To"] == "manager@example.org"
    assert "Cara Contributor mentioned you" in received["Subject"]
    assert "Please check" not in received.get_content()


def test_a_mail_server_that_is_down_does_not_break_the_page(app: Flask, client, people, grid):
    use_smtp(app, free_port())
    app.config["MAIL_SEND_AFTER_COMMIT"] = True
    client.sign_in(people["contributor"])
    response = client.post_form(
        f"/cells/{grid.cells[EVIDENCE]}/comments", {"body": "For @manager@example.org"}
    )
    assert response.status_code == 303
    mail.wait_for_senders()
    with app.app_context():
        (queued,) = db.session.scalars(db.select(OutgoingMail)).all()
        assert queued.to_address == "manager@example.org"
        assert queued.sent_at is None  # waiting for the next try, not lost


def test_mail_queued_in_a_transaction_that_rolls_back_is_not_sent(app: Flask, people, grid):
    with app.app_context():
        actor = db.session.get_one(User, people["contributor"].id)
        cell = db.session.get_one(Cell, grid.cells[EVIDENCE])
        service.add_comment(actor, cell, body="@manager@example.org")
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(OutgoingMail.id))) == 0
        assert mail.deliver_due().sent == 0

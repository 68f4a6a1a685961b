"""Email through an outbox: queued in the transaction that causes it, sent after the commit.

A request only writes an OutgoingMail row. After the commit a background thread sends what is
due; a mail that fails waits and is tried again later (by the next request's sender or by
``flask send-mail`` from cron), so a slow or broken mail server never holds up or breaks a
page. Without SMTP_HOST, mail is written to ``instance/outbox/`` as .eml files instead, so
nothing is silently dropped.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from grid_app.database import utcnow, writing
from grid_app.discussion.models import OutgoingMail
from grid_app.extensions import db

log = logging.getLogger(__name__)

# A sender holds a mail this long; if it dies mid-send, another may try after that.
CLAIM = timedelta(minutes=5)
# Waits between attempts: 1, 2, 4 … minutes, at most six hours; then it is given up.
MAX_ATTEMPTS = 10
MAX_WAIT = timedelta(hours=6)


# What a sent mail's body says once the secret it held is forgotten.
FORGOTTEN = "(Not kept: this mail held a single-use link.)"


def queue(
    *,
    to: str,
    subject: str,
    body: str,
    user_id: int | None = None,
    digest_key: str | None = None,
    secret: bool = False,
) -> OutgoingMail:
    """Add a mail to the outbox, to go once the current transaction commits.

    ``secret``: the body holds a single-use link, blanked once the mail is sent or given up.
    """
    mail = OutgoingMail(
        to_address=to,
        subject=subject,
        body=body,
        user_id=user_id,
        digest_key=digest_key,
        next_attempt_at=utcnow(),
        forget_body=secret,
    )
    db.session.add(mail)
    db.session.info["mail_queued"] = True
    return mail


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link for an email: BASE_URL and the endpoint's path (no request needed)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


@dataclass
class DeliveryReport:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    given_up: int = 0


# Every transaction here reads and then claims or records a mail, so each begins as a write.
@writing()
def deliver_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send every mail that is due, committing after each so none is ever sent twice."""
    now = now or utcnow()
    report = DeliveryReport()
    due = db.session.scalars(
        select(OutgoingMail.id)
        .where(
            OutgoingMail.sent_at.is_(None),
            OutgoingMail.failed_at.is_(None),
            OutgoingMail.next_attempt_at <= now,
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .order_by(OutgoingMail.id)
        .limit(limit)
    ).all()
    for mail_id in due:
        if not _claim(mail_id, now):
            continue  # another sender took it
        mail = db.session.get_one(OutgoingMail, mail_id)
        try:
            mail.transport = _send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            mail.attempts += 1
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            mail.claimed_until = None
            if mail.attempts >= MAX_ATTEMPTS:
                mail.failed_at = utcnow()
                _forget_secret(mail)
                report.given_up += 1
                log.error("Gave up sending mail %s: %s", mail.id, mail.last_error)
            else:
                wait = min(timedelta(minutes=2 ** (mail.attempts - 1)), MAX_WAIT)
                mail.next_attempt_at = utcnow() + wait
                report.retrying += 1
                log.warning("Mail %s not sent, will retry: %s", mail.id, mail.last_error)
        else:
            mail.sent_at = utcnow()
            mail.claimed_until = None
            _forget_secret(mail)
            report.sent += 1
        db.session.commit()
    return report


def _forget_secret(mail: OutgoingMail) -> None:
    if mail.forget_body:
        mail.body = FORGOTTEN


def _claim(mail_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail_id,
            OutgoingMail.sent_at.is_(None),
            or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM)
    )
    db.session.commit()
    return bool(getattr(claimed, "rowcount", 0) == 1)


def message(mail: OutgoingMail) -> EmailMessage:
    """The email as it goes out; its Message-ID is stable, so a retry is recognisable."""
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = mail.to_address
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.created_at.replace(tzinfo=None), usegmt=False)
    domain = config["MAIL_FROM"].rsplit("@", 1)[-1].rstrip(">") or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"grid-mail-{mail.id}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body)
    return msg


def _send(mail: OutgoingMail) -> str:
    """Send one mail over SMTP, or write it to the outbox folder; returns which."""
    config = current_app.config
    msg = message(mail)
    host = config.get("SMTP_HOST")
    if not host:
        folder = Path(current_app.instance_path) / "outbox"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{mail.created_at:%Y%m%d-%H%M%S}-{mail.id}.eml").write_bytes(msg.as_bytes())
        return "file"
    port = int(config["SMTP_PORT"])
    timeout = float(config["MAIL_TIMEOUT"])
    security = config["SMTP_SECURITY"]
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(msg)
    return "smtp"


_senders: set[threading.Thread] = set()


def wait_for_senders(timeout: float = 30.0) -> None:
    """Wait for background senders to finish (before a worker shuts down, and in tests)."""
    for sender in list(_senders):
        sender.join(timeout)


def _deliver_in_background(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due()
        except Exception:  # a background sender must never take anything else down
            log.exception("Sending queued mail failed; it will be tried again later")
        finally:
            db.session.remove()
            _senders.discard(threading.current_thread())


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """Start sending what a web request queued, once it is safely committed.

    Command-line runs send in the foreground instead, so they never exit mid-send.
    """
    if not session.info.pop("mail_queued", False) or not has_request_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["MAIL_SEND_AFTER_COMMIT"]:
        sender = threading.Thread(target=_deliver_in_background, args=(app,), daemon=True)
        _senders.add(sender)
        sender.start()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop("mail_queued", None)

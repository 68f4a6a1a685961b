"""Sessions themselves: the default ground rules, creating and changing a session,
joining it and closing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from grid_app import localtime, signals
from grid_app.audit import service as audit
from grid_app.auth import queries as auth_queries
from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.safe_space.models import (
    GroundRulesTemplate,
    SafeSpaceSession,
    SessionParticipant,
    SessionStatus,
)
from grid_app.safe_space.service._common import (
    ADDRESS_SPLIT,
    DEFAULT_GROUND_RULES,
    DEFAULT_SIGNPOSTING,
    RETENTION_DEFAULT,
    RETENTION_MAX,
    RETENTION_MIN,
    RULES_MAX,
    TITLE_MAX,
    can_facilitate,
    check_access,
    clean,
    require_facilitator,
    require_open,
    text_errors,
)
from grid_app.safe_space.service.sealing import seal

# --- The default ground rules ------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """What a new session's ground rules and signposting start from."""

    ground_rules: str
    signposting: str


def template() -> Template:
    """The current default ground rules and signposting."""
    row = db.session.scalar(select(GroundRulesTemplate).limit(1))
    if row is None:
        return Template(DEFAULT_GROUND_RULES, DEFAULT_SIGNPOSTING)
    return Template(row.ground_rules, row.signposting)


def require_template_editor(actor: User) -> None:
    """Refuse (403) anyone but a facilitator."""
    if not can_facilitate(actor):
        raise Forbidden("Only a facilitator can change the default ground rules.")


def save_template(actor: User, *, ground_rules: str, signposting: str) -> None:
    """Change the default ground rules and signposting new sessions start from."""
    require_template_editor(actor)
    ground_rules, signposting = clean(ground_rules), clean(signposting)
    errors = {}
    errors.update(_rules_errors(ground_rules, signposting))
    if errors:
        raise Invalid("The template was not saved. Check the highlighted fields.", errors)
    row = db.session.scalar(select(GroundRulesTemplate).limit(1))
    if row is None:
        row = GroundRulesTemplate(ground_rules="", signposting="")
        db.session.add(row)
    row.ground_rules, row.signposting = ground_rules, signposting
    row.updated_at, row.updated_by_id = utcnow(), actor.id
    audit.record(actor, "safe_space.template_changed", "safe_space_template", "")
    db.session.flush()


# --- Sessions ----------------------------------------------------------------------------


@dataclass
class SessionFields:
    """A session's settings as typed into the form."""

    title: str = ""
    starts_at: str = ""
    ground_rules: str = DEFAULT_GROUND_RULES
    signposting: str = DEFAULT_SIGNPOSTING
    retention_days: str = str(RETENTION_DEFAULT)
    invitees: str = ""


def require_can_create(actor: User) -> None:
    """Refuse (403) anyone but a facilitator."""
    if not can_facilitate(actor):
        raise Forbidden("Only a facilitator can create a safe-space session.")


def create_meeting(actor: User, fields: SessionFields) -> SafeSpaceSession:
    """Create a session, held by ``actor``, and invite people to it."""
    require_can_create(actor)
    title, starts_at, retention, invitees = _parse(actor, fields)
    meeting = SafeSpaceSession(
        title=title,
        starts_at=starts_at,
        ground_rules=clean(fields.ground_rules),
        signposting=clean(fields.signposting),
        retention_days=retention,
        facilitator_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    _set_participants(meeting, invitees, actor)
    audit.record(
        actor, "safe_space.session_created", "safe_space_session", meeting.id, invited=len(invitees)
    )
    db.session.flush()
    return meeting


def update_meeting(actor: User, meeting: SafeSpaceSession, fields: SessionFields) -> None:
    """Change a session's settings and who is invited (while it is open)."""
    require_facilitator(actor, meeting)
    require_open(meeting, "changing its settings")
    title, starts_at, retention, invitees = _parse(actor, fields)
    rules = clean(fields.ground_rules)
    if rules != meeting.ground_rules:
        meeting.rules_version += 1
    meeting.title, meeting.starts_at, meeting.ground_rules = title, starts_at, rules
    meeting.signposting = clean(fields.signposting)
    meeting.retention_days = retention
    _set_participants(meeting, invitees, actor)
    audit.record(actor, "safe_space.session_changed", "safe_space_session", meeting.id)
    db.session.flush()


def meeting_fields(meeting: SafeSpaceSession) -> SessionFields:
    """A session's settings as the form shows them."""
    emails = db.session.scalars(
        select(User.email)
        .join(SessionParticipant, SessionParticipant.user_id == User.id)
        .where(SessionParticipant.session_id == meeting.id)
        .order_by(User.email)
    )
    return SessionFields(
        title=meeting.title,
        starts_at=localtime.to_local(meeting.starts_at).strftime("%Y-%m-%d %H:%M"),
        ground_rules=meeting.ground_rules,
        signposting=meeting.signposting,
        retention_days=str(meeting.retention_days),
        invitees="\n".join(emails),
    )


def _parse(actor: User, fields: SessionFields) -> tuple[str, datetime, int, list[User]]:
    errors: dict[str, str] = {}
    title = " ".join(fields.title.split())
    if not title:
        errors["title"] = "Give the session a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters or fewer."
    starts_at = None
    try:
        starts_at = datetime.fromisoformat(fields.starts_at.strip())
    except ValueError:
        errors["starts_at"] = "Enter the date and time the session starts, like 2027-01-14 10:00."
    if starts_at is not None:
        # Typed in local time (the form says which zone); stored in UTC.
        starts_at = localtime.to_utc(starts_at)
    errors.update(_rules_errors(clean(fields.ground_rules), clean(fields.signposting)))
    retention = _retention(fields.retention_days, errors)
    invitees = _invitees(actor, fields.invitees, errors)
    if errors or starts_at is None:
        raise Invalid("The session was not saved. Check the highlighted fields.", errors)
    return title, starts_at, retention, invitees


def _rules_errors(ground_rules: str, signposting: str) -> dict[str, str]:
    """Nobody takes part without ground rules to agree to and somewhere to turn for support."""
    errors = text_errors("ground_rules", ground_rules, RULES_MAX, "the ground rules")
    errors.update(text_errors("signposting", signposting, RULES_MAX, "the signposting"))
    if not ground_rules:
        errors["ground_rules"] = "Write the ground rules that participants agree to."
    if not signposting:
        errors["signposting"] = "Say where participants can turn for support."
    return errors


def _retention(raw: str, errors: dict[str, str]) -> int:
    value = raw.strip()
    if not value.isdigit() or not RETENTION_MIN <= int(value) <= RETENTION_MAX:
        errors["retention_days"] = (
            f"Enter a whole number of days from {RETENTION_MIN} to {RETENTION_MAX:,}."
        )
        return RETENTION_DEFAULT
    return int(value)


def _invitees(actor: User, raw: str, errors: dict[str, str]) -> list[User]:
    addresses = list(dict.fromkeys(a.lower() for a in ADDRESS_SPLIT.split(raw) if a))
    if not addresses:
        errors["invitees"] = "Invite at least one person, by their email address."
        return []
    found = auth_queries.active_by_email(addresses)
    unknown = [a for a in addresses if a not in found]
    if unknown:
        errors["invitees"] = (
            f"No one can be invited as {', '.join(unknown)}: check the address, or ask an "
            "admin to add them."
        )
    elif actor.email.lower() in found:
        errors["invitees"] = "You hold the session; invite the people taking part."
    return [found[a] for a in addresses if a in found]


def _set_participants(meeting: SafeSpaceSession, people: list[User], actor: User) -> None:
    """Invite ``people`` (telling those newly invited) and uninvite everyone else."""
    wanted = {p.id for p in people}
    current = {p.user_id: p for p in meeting.participants}
    for user_id, participant in current.items():
        if user_id not in wanted:
            meeting.participants.remove(participant)
    new = [p for p in people if p.id not in current]
    meeting.participants.extend(SessionParticipant(user_id=p.id) for p in new)
    db.session.flush()
    if new:
        signals.session_request.send(meeting, actor=actor, people=new, insight_id=None)


def accept_rules(actor: User, meeting: SafeSpaceSession) -> None:
    """Record that an invited person read and accepted the session's ground rules."""
    invitation = check_access(actor, meeting)
    if invitation is None:
        raise Forbidden("The facilitator holds the session; only participants join it.")
    require_open(meeting, "joining")
    invitation.rules_accepted_version = meeting.rules_version
    invitation.rules_accepted_at = utcnow()
    audit.record(
        actor,
        "safe_space.rules_accepted",
        "safe_space_session",
        meeting.id,
        rules_version=meeting.rules_version,
    )
    db.session.flush()


def close_meeting(actor: User, meeting: SafeSpaceSession) -> None:
    """Stop contributions, sealing those still waiting; the retention period starts now."""
    require_facilitator(actor, meeting)
    require_open(meeting, "closing it again")
    seal(meeting)
    meeting.status = SessionStatus.CLOSED.value
    meeting.closed_at = utcnow()
    audit.record(actor, "safe_space.session_closed", "safe_space_session", meeting.id)
    db.session.flush()


def reopen_until(meeting: SafeSpaceSession, reopen_hours: int) -> datetime | None:
    """Until when a closed, unpurged session may be reopened; None if it cannot be."""
    if meeting.is_open or meeting.is_purged or meeting.closed_at is None:
        return None
    until = meeting.closed_at + timedelta(hours=reopen_hours)
    return until if until > utcnow() else None


def reopen_meeting(actor: User, meeting: SafeSpaceSession, *, reopen_hours: int) -> None:
    """Open a session closed by mistake again, within ``reopen_hours`` of its closing."""
    require_facilitator(actor, meeting)
    if meeting.is_open:
        raise Invalid("This session is open already.")
    if reopen_until(meeting, reopen_hours) is None:
        raise Invalid(
            f"A session can be reopened only within {reopen_hours} hours of closing, "
            "and before its contributions are purged."
        )
    meeting.status = SessionStatus.OPEN.value
    meeting.closed_at = None
    audit.record(actor, "safe_space.session_reopened", "safe_space_session", meeting.id)
    db.session.flush()


def record_read(actor: User, meeting: SafeSpaceSession, what: str = "contributions") -> None:
    """Audit that ``actor`` was shown the session's contributions."""
    audit.record(
        actor, "safe_space.contributions_read", "safe_space_session", meeting.id, what=what
    )

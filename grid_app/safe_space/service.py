"""Running safe-space sessions. Each function takes the acting person and checks what they
may do: only a session's facilitator and the people invited to it ever reach its contents.

Nothing here writes an audit event, log line or notification that names the author of an
anonymous contribution, or says when it was written.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from grid_app import signals
from grid_app.audit import service as audit
from grid_app.auth import queries as auth_queries
from grid_app.auth.models import OPERATOR, Actor, Role, User
from grid_app.database import utcnow
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, CellRevision
from grid_app.safe_space.models import (
    Consent,
    Contribution,
    GroundRulesTemplate,
    Insight,
    SafeSpaceSession,
    SessionParticipant,
    SessionStatus,
    Theme,
    text_hash,
)

TITLE_MAX = 200
RULES_MAX = 10_000
CONTRIBUTION_MAX = 5_000
THEME_NAME_MAX = 120
NOTES_MAX = 10_000
INSIGHT_MAX = 2_000
GROUP_NOTE_MAX = 500
RETENTION_MIN, RETENTION_MAX, RETENTION_DEFAULT = 1, 3650, 90

DEFAULT_GROUND_RULES = """\
- What is said here stays here. Do not repeat who said what, inside or outside work.
- Speak from your own experience. You do not have to share anything you do not want to.
- Listen to understand. Do not challenge or correct someone's experience.
- You can contribute anonymously: your name is not stored with an anonymous contribution.
- Take a break whenever you need to. The facilitator will check in with anyone who leaves.
- Nothing leaves this session without the agreement of the people who shared it."""

DEFAULT_SIGNPOSTING = """\
- Employee Assistance Programme: free, confidential support, any time of day.
- The Black Staff Network: peer support and advice from colleagues.
- Your trade union representative.
- Occupational Health, through your manager or directly.
- If you are in crisis: call Samaritans on 116 123 (free, any time)."""

_ADDRESS_SPLIT = re.compile(r"[\s,;]+")
_RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to copy
_NOT_YOURS = (
    "Only this session's facilitator and the people invited to it can open it. "
    "If you think you should have been invited, ask the facilitator."
)


# --- Who may do what ---------------------------------------------------------------------


def can_facilitate(actor: Actor) -> bool:
    """Whether ``actor`` may run sessions and edit the default ground rules."""
    return actor.active and actor.has_role(Role.FACILITATOR)


def participant_record(actor: User, meeting: SafeSpaceSession) -> SessionParticipant | None:
    """The actor's invitation to ``session``, if they have one."""
    return db.session.scalar(
        select(SessionParticipant).where(
            SessionParticipant.session_id == meeting.id,
            SessionParticipant.user_id == actor.id,
        )
    )


def is_facilitator_of(actor: User, meeting: SafeSpaceSession) -> bool:
    """True for the session's own facilitator (and only while they hold the role)."""
    return meeting.facilitator_id == actor.id and can_facilitate(actor)


def check_access(actor: User, meeting: SafeSpaceSession) -> SessionParticipant | None:
    """Refuse everyone but the facilitator and the invited; return the actor's invitation."""
    if is_facilitator_of(actor, meeting):
        return None
    invitation = participant_record(actor, meeting) if actor.active else None
    if invitation is None:
        raise Forbidden(_NOT_YOURS)
    return invitation


def has_joined(invitation: SessionParticipant | None) -> bool:
    """True when an invited person accepted the session's current ground rules."""
    return (
        invitation is not None
        and invitation.rules_accepted_version == invitation.meeting.rules_version
    )


def require_facilitator(actor: User, meeting: SafeSpaceSession) -> None:
    """Refuse everyone but the session's facilitator (outsiders hear it is not theirs)."""
    if not is_facilitator_of(actor, meeting):
        check_access(actor, meeting)
        raise Forbidden("Only the session's facilitator can do this.")


def _require_joined(actor: User, meeting: SafeSpaceSession) -> SessionParticipant:
    invitation = check_access(actor, meeting)
    if invitation is None:
        raise Forbidden("The facilitator holds the session; only participants contribute.")
    if not has_joined(invitation):
        raise Forbidden("Read and accept the ground rules first.")
    return invitation


def _require_open(meeting: SafeSpaceSession, doing: str) -> None:
    if not meeting.is_open:
        raise Invalid(f"This session is closed, so {doing} is no longer possible.")


def _require_unpurged(meeting: SafeSpaceSession) -> None:
    if meeting.is_purged:
        raise Invalid("This session's contributions have been purged; only its summary is left.")


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
    ground_rules, signposting = _clean(ground_rules), _clean(signposting)
    errors = {}
    errors.update(_text_errors("ground_rules", ground_rules, RULES_MAX, "the ground rules"))
    errors.update(_text_errors("signposting", signposting, RULES_MAX, "the signposting"))
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
    ground_rules: str = ""
    signposting: str = ""
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
        ground_rules=_clean(fields.ground_rules),
        signposting=_clean(fields.signposting),
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
    _require_open(meeting, "changing its settings")
    title, starts_at, retention, invitees = _parse(actor, fields)
    rules = _clean(fields.ground_rules)
    if rules != meeting.ground_rules:
        meeting.rules_version += 1
    meeting.title, meeting.starts_at, meeting.ground_rules = title, starts_at, rules
    meeting.signposting = _clean(fields.signposting)
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
        starts_at=meeting.starts_at.strftime("%Y-%m-%dT%H:%M"),
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
    if starts_at is not None and starts_at.tzinfo is not None:
        starts_at = starts_at.replace(tzinfo=None)
    errors.update(_text_errors("ground_rules", _clean(fields.ground_rules), RULES_MAX, "rules"))
    errors.update(_text_errors("signposting", _clean(fields.signposting), RULES_MAX, "signposting"))
    retention = _retention(fields.retention_days, errors)
    invitees = _invitees(actor, fields.invitees, errors)
    if errors or starts_at is None:
        raise Invalid("The session was not saved. Check the highlighted fields.", errors)
    return title, starts_at, retention, invitees


def _retention(raw: str, errors: dict[str, str]) -> int:
    value = raw.strip()
    if not value.isdigit() or not RETENTION_MIN <= int(value) <= RETENTION_MAX:
        errors["retention_days"] = (
            f"Enter a whole number of days from {RETENTION_MIN} to {RETENTION_MAX:,}."
        )
        return RETENTION_DEFAULT
    return int(value)


def _invitees(actor: User, raw: str, errors: dict[str, str]) -> list[User]:
    addresses = list(dict.fromkeys(a.lower() for a in _ADDRESS_SPLIT.split(raw) if a))
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
    _require_open(meeting, "joining")
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
    """Stop contributions; the retention period for the raw text starts now."""
    require_facilitator(actor, meeting)
    _require_open(meeting, "closing it again")
    meeting.status = SessionStatus.CLOSED.value
    meeting.closed_at = utcnow()
    audit.record(actor, "safe_space.session_closed", "safe_space_session", meeting.id)
    db.session.flush()


def record_read(actor: User, meeting: SafeSpaceSession, what: str = "contributions") -> None:
    """Audit that ``actor`` was shown the session's contributions."""
    audit.record(
        actor, "safe_space.contributions_read", "safe_space_session", meeting.id, what=what
    )


# --- Contributions -----------------------------------------------------------------------


def add_contribution(
    actor: User, meeting: SafeSpaceSession, *, body: str, anonymous: bool
) -> tuple[Contribution, str | None]:
    """Add what a participant said; an anonymous one gets a receipt code (returned once)."""
    _require_joined(actor, meeting)
    _require_open(meeting, "adding a contribution")
    body = _body(body)
    receipt = None
    contribution = Contribution(session_id=meeting.id, anonymous=anonymous, body=body)
    if anonymous:
        receipt = _new_receipt()
        contribution.receipt_hash = _receipt_hash(receipt)
    else:
        contribution.author_id = actor.id
    db.session.add(contribution)
    db.session.flush()
    return contribution, receipt


def edit_contribution(actor: User, contribution: Contribution, body: str) -> None:
    """Change one's own named contribution while the session is open."""
    meeting = require_own_named(actor, contribution)
    _require_open(meeting, "editing a contribution")
    body = _body(body)
    if body != contribution.body:
        contribution.body = body
        contribution.edited = True
    db.session.flush()


def withdraw_contribution(actor: User, contribution: Contribution) -> None:
    """Take back one's own named contribution while the session is open."""
    meeting = require_own_named(actor, contribution)
    _require_open(meeting, "withdrawing a contribution here")
    _withdraw(contribution)


def withdraw_by_receipt(actor: User, meeting: SafeSpaceSession, code: str) -> None:
    """Take back an anonymous contribution with its receipt code (until the purge)."""
    check_access(actor, meeting)
    _require_unpurged(meeting)
    cleaned = code.strip().upper().replace(" ", "")
    if not cleaned:
        raise Invalid("No contribution was withdrawn.", {"code": "Enter your receipt code."})
    contribution = db.session.scalar(
        select(Contribution).where(
            Contribution.session_id == meeting.id,
            Contribution.receipt_hash == _receipt_hash(cleaned),
        )
    )
    if contribution is None:
        raise Invalid(
            "No contribution was withdrawn.",
            {"code": "That code does not match a contribution in this session. Check it."},
        )
    if contribution.withdrawn:
        raise Invalid(
            "No contribution was withdrawn.",
            {"code": "That code has already been used: its contribution was withdrawn."},
        )
    _withdraw(contribution)


def _withdraw(contribution: Contribution) -> None:
    contribution.withdrawn = True
    contribution.body = None
    theme_id = contribution.theme_id
    contribution.theme_id = None
    db.session.flush()
    if theme_id is not None:
        _ask_review(select(Insight).where(Insight.theme_id == theme_id))


def require_own_named(actor: User, contribution: Contribution) -> SafeSpaceSession:
    """The contribution's session, if ``actor`` wrote it with their name and it stands."""
    meeting = db.session.get_one(SafeSpaceSession, contribution.session_id)
    check_access(actor, meeting)
    if contribution.anonymous or contribution.author_id != actor.id:
        raise Forbidden("You can change only your own named contributions.")
    if contribution.withdrawn:
        raise Invalid("This contribution has been withdrawn.")
    return meeting


def set_hidden(actor: User, contribution: Contribution, hidden: bool) -> None:
    """Hide a contribution from the other participants, or show it again (moderation)."""
    meeting = db.session.get_one(SafeSpaceSession, contribution.session_id)
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    if contribution.hidden != hidden:
        contribution.hidden = hidden
        audit.record(
            actor,
            "safe_space.contribution_hidden" if hidden else "safe_space.contribution_shown",
            "safe_space_session",
            meeting.id,
        )
    db.session.flush()


def _body(body: str) -> str:
    body = _clean(body)
    errors = _text_errors("body", body, CONTRIBUTION_MAX, "your contribution")
    if not body:
        errors = {"body": "Write something to contribute."}
    if errors:
        raise Invalid("Your contribution was not saved.", errors)
    return body


def _new_receipt() -> str:
    raw = "".join(secrets.choice(_RECEIPT_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _receipt_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").upper().encode()).hexdigest()


# --- Themes ------------------------------------------------------------------------------


def create_theme(actor: User, meeting: SafeSpaceSession, name: str) -> Theme:
    """Start a theme to group contributions under."""
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    theme = Theme(session_id=meeting.id, name=_theme_name(name))
    db.session.add(theme)
    db.session.flush()
    return theme


def update_theme(actor: User, theme: Theme, *, name: str, notes: str) -> None:
    """Rename a theme and change its working notes."""
    meeting = db.session.get_one(SafeSpaceSession, theme.session_id)
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    notes = _clean(notes)
    errors = _text_errors("notes", notes, NOTES_MAX, "the notes")
    try:
        theme.name = _theme_name(name)
    except Invalid as error:
        errors.update(error.field_errors)
    if errors:
        raise Invalid("The theme was not saved.", errors)
    theme.notes = notes
    db.session.flush()


def merge_theme(actor: User, theme: Theme, into_id: int | None) -> Theme:
    """Fold ``theme`` into another: its contributions and insights move, it goes."""
    meeting = db.session.get_one(SafeSpaceSession, theme.session_id)
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    into = db.session.get(Theme, into_id) if into_id else None
    if into is None or into.session_id != meeting.id or into.id == theme.id:
        raise Invalid(
            "The themes were not merged.", {"into": "Choose another theme to merge into."}
        )
    for model in (Contribution, Insight):
        db.session.execute(update(model).where(model.theme_id == theme.id).values(theme_id=into.id))
    if theme.notes:
        into.notes = _clean(f"{into.notes}\n\n{theme.notes}")
    db.session.delete(theme)
    db.session.flush()
    return into


def move_contribution(actor: User, contribution: Contribution, theme_id: int | None) -> None:
    """Put a contribution under a theme, or under none."""
    meeting = db.session.get_one(SafeSpaceSession, contribution.session_id)
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    if contribution.withdrawn:
        raise Invalid("This contribution has been withdrawn.")
    if theme_id is not None:
        theme = db.session.get(Theme, theme_id)
        if theme is None or theme.session_id != meeting.id:
            raise Invalid("Nothing was moved.", {"theme": "Choose one of this session's themes."})
    contribution.theme_id = theme_id
    db.session.flush()


def _theme_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("The theme was not saved.", {"name": "Name the theme."})
    if len(name) > THEME_NAME_MAX:
        raise Invalid(
            "The theme was not saved.",
            {"name": f"Keep a theme's name to {THEME_NAME_MAX} characters or fewer."},
        )
    return name


# --- Insights and consent ----------------------------------------------------------------


def draft_insight(
    actor: User, meeting: SafeSpaceSession, theme_id: int | None, text: str
) -> Insight:
    """Write an anonymised summary of a theme, in the facilitator's own words."""
    require_facilitator(actor, meeting)
    _require_unpurged(meeting)
    theme = db.session.get(Theme, theme_id) if theme_id else None
    errors = {}
    if theme is None or theme.session_id != meeting.id:
        errors["theme"] = "Choose the theme this insight sums up."
    text = _clean(text)
    errors.update(_insight_errors(text))
    if errors:
        raise Invalid("The insight was not saved.", errors)
    insight = Insight(session_id=meeting.id, theme_id=theme_id, text=text, drafted_by_id=actor.id)
    db.session.add(insight)
    db.session.flush()
    _ask_consent(actor, meeting, insight)
    return insight


def edit_insight(actor: User, insight: Insight, text: str) -> None:
    """Reword a draft; everyone's agreement then has to be given again for the new words."""
    meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
    require_facilitator(actor, meeting)
    if insight.is_promoted:
        raise Invalid("This insight is in the grid now; change the cell instead.")
    text = _clean(text)
    errors = _insight_errors(text)
    if errors:
        raise Invalid("The insight was not saved.", errors)
    if text != insight.text:
        insight.text = text
        db.session.flush()
        _ask_consent(actor, meeting, insight)


def _ask_consent(actor: User, meeting: SafeSpaceSession, insight: Insight) -> None:
    """Tell the named contributors an insight's wording awaits their answer."""
    people = [person for person, _ in consent_state(insight).named]
    if people:
        signals.session_request.send(meeting, actor=actor, people=people, insight_id=insight.id)


def _insight_errors(text: str) -> dict[str, str]:
    if not text:
        return {"text": "Write the insight: an anonymised summary in your own words."}
    return _text_errors("text", text, INSIGHT_MAX, "the insight")


@dataclass(frozen=True)
class ConsentState:
    """Who must agree to an insight's current wording, and where each stands."""

    named: list[tuple[User, bool | None]]  # (contributor, agreed / refused / not yet)
    needs_group: bool
    group_agreed: bool
    contributions: int

    @property
    def complete(self) -> bool:
        """True when every named contributor and, if needed, the group agreed."""
        return (
            self.contributions > 0
            and all(answer is True for _, answer in self.named)
            and (self.group_agreed or not self.needs_group)
        )

    def blockers(self) -> list[str]:
        """Why the insight cannot be promoted yet, in words."""
        reasons = []
        if self.contributions == 0:
            reasons.append("Its theme has no contributions: an insight must come from them.")
        refused = [u.display_name for u, answer in self.named if answer is False]
        waiting = [u.display_name for u, answer in self.named if answer is None]
        if refused:
            reasons.append(f"Not agreed by: {', '.join(refused)}.")
        if waiting:
            reasons.append(f"Waiting for agreement from: {', '.join(waiting)}.")
        if self.needs_group and not self.group_agreed:
            reasons.append("Record the group's agreement for the anonymous contributions.")
        return reasons


def consent_state(insight: Insight) -> ConsentState:
    """Whose agreement the insight needs, from the contributions now under its theme."""
    rows = (
        db.session.execute(
            select(Contribution.anonymous, Contribution.author_id).where(
                Contribution.theme_id == insight.theme_id, Contribution.withdrawn.is_(False)
            )
        ).all()
        if insight.theme_id
        else []
    )
    author_ids = sorted({a for anonymous, a in rows if not anonymous and a is not None})
    authors: list[User] = (
        list(
            db.session.scalars(
                select(User).where(User.id.in_(author_ids)).order_by(User.display_name)
            )
        )
        if author_ids
        else []
    )
    current = text_hash(insight.text)
    answers = {
        c.user_id: c.agreed
        for c in db.session.scalars(select(Consent).where(Consent.insight_id == insight.id))
        if c.text_hash == current
    }
    return ConsentState(
        named=[(u, answers.get(u.id)) for u in authors],
        needs_group=any(anonymous for anonymous, _ in rows),
        group_agreed=insight.group_agreed,
        contributions=len(rows),
    )


def decide_consent(actor: User, insight: Insight, agreed: bool) -> None:
    """A named contributor agrees to an insight's wording, or refuses or withdraws it."""
    meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
    check_access(actor, meeting)
    if not any(u.id == actor.id for u, _ in consent_state(insight).named):
        raise Forbidden("Only people whose named contributions this insight draws on are asked.")
    if agreed and insight.is_promoted:
        raise Invalid("This insight is already in the grid.")
    consent = db.session.scalar(
        select(Consent).where(Consent.insight_id == insight.id, Consent.user_id == actor.id)
    )
    if consent is None:
        consent = Consent(insight_id=insight.id, user_id=actor.id, agreed=agreed, text_hash="")
        db.session.add(consent)
    consent.agreed, consent.text_hash, consent.decided_at = (
        agreed,
        text_hash(insight.text),
        utcnow(),
    )
    audit.record(
        actor,
        "safe_space.consent_given" if agreed else "safe_space.consent_withdrawn",
        "safe_space_insight",
        insight.id,
    )
    db.session.flush()
    if not agreed:
        _ask_review(select(Insight).where(Insight.id == insight.id))


def record_group_consent(actor: User, insight: Insight, note: str) -> None:
    """The facilitator records that the group agreed to this wording (anonymous contributions)."""
    meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
    require_facilitator(actor, meeting)
    if insight.is_promoted:
        raise Invalid("This insight is already in the grid.")
    note = " ".join(note.split())
    if not note:
        raise Invalid(
            "The group's agreement was not recorded.",
            {"note": "Say how the group agreed, for example “By show of hands, 3 December”."},
        )
    if len(note) > GROUP_NOTE_MAX:
        raise Invalid(
            "The group's agreement was not recorded.",
            {"note": f"Keep this to {GROUP_NOTE_MAX} characters or fewer."},
        )
    insight.group_consent_at = utcnow()
    insight.group_consent_note = note
    insight.group_consent_hash = text_hash(insight.text)
    audit.record(actor, "safe_space.group_consent_recorded", "safe_space_insight", insight.id)
    db.session.flush()


def promote(actor: User, insight: Insight, cell: Cell | None) -> CellRevision:
    """Add the insight to a grid cell, once everyone it draws on has agreed.

    The cell's new revision (kind "insight") is linked from the insight, so it leads to
    the session and never to a contribution.
    """
    meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
    require_facilitator(actor, meeting)
    if insight.is_promoted:
        raise Invalid("This insight is already in the grid.")
    if cell is None:
        raise Invalid("The insight was not promoted.", {"cell": "Choose the cell it goes into."})
    state = consent_state(insight)
    if not state.complete:
        raise Invalid("The insight was not promoted. " + " ".join(state.blockers()))
    revision = grid_service.add_insight(
        actor,
        cell,
        text=insight.text,
        summary=f"Insight from a safe-space session held on {meeting.starts_at:%-d %B %Y}",
    )
    insight.promoted_at = utcnow()
    insight.cell_id, insight.revision_id = cell.id, revision.id
    audit.record(
        actor,
        "safe_space.insight_promoted",
        "safe_space_insight",
        insight.id,
        cell_id=cell.id,
        revision_id=revision.id,
    )
    db.session.flush()
    return revision


def _ask_review(insights: object) -> None:
    """Tell the facilitator an insight in the grid lost some of its basis.

    No actor is passed on: the withdrawal may be an anonymous contributor's.
    """
    for insight in db.session.scalars(insights):  # type: ignore[call-overload]
        if not insight.is_promoted or insight.cell_id is None:
            continue
        insight.needs_review = True
        meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
        signals.insight_needs_review.send(
            insight,
            cell=db.session.get_one(Cell, insight.cell_id),
            recipient_id=meeting.facilitator_id,
        )
    db.session.flush()


def mark_reviewed(actor: User, insight: Insight) -> None:
    """The facilitator has looked at an insight whose consent changed after promotion."""
    meeting = db.session.get_one(SafeSpaceSession, insight.session_id)
    require_facilitator(actor, meeting)
    insight.needs_review = False
    audit.record(actor, "safe_space.insight_reviewed", "safe_space_insight", insight.id)
    db.session.flush()


# --- Retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeItem:
    """A session whose raw text is (or would be) purged."""

    session_id: int
    title: str
    closed_at: datetime
    contributions: int


def purge_due(now: datetime | None = None, *, dry_run: bool = False) -> list[PurgeItem]:
    """Delete raw contributions and theme notes of sessions past their retention period.

    Keeps the session, its themes' names and counts, consents and insights. With
    ``dry_run`` nothing changes and the list says what would go.
    """
    now = now or utcnow()
    due = [
        s
        for s in db.session.scalars(
            select(SafeSpaceSession)
            .where(SafeSpaceSession.closed_at.is_not(None), SafeSpaceSession.purged_at.is_(None))
            .order_by(SafeSpaceSession.closed_at)
        )
        if s.closed_at is not None and s.closed_at + timedelta(days=s.retention_days) <= now
    ]
    items = []
    for meeting in due:
        counts = dict(
            db.session.execute(
                select(Contribution.theme_id, func.count())
                .where(Contribution.session_id == meeting.id, Contribution.withdrawn.is_(False))
                .group_by(Contribution.theme_id)
            ).all()
        )
        total = sum(counts.values())
        assert meeting.closed_at is not None
        items.append(PurgeItem(meeting.id, meeting.title, meeting.closed_at, total))
        if dry_run:
            continue
        for theme in db.session.scalars(select(Theme).where(Theme.session_id == meeting.id)):
            theme.purged_contribution_count = counts.get(theme.id, 0)
            theme.notes = ""
        db.session.execute(delete(Contribution).where(Contribution.session_id == meeting.id))
        meeting.purged_at = now
        meeting.purged_contribution_count = total
        audit.record(
            OPERATOR,
            "safe_space.session_purged",
            "safe_space_session",
            meeting.id,
            contributions=total,
        )
    db.session.flush()
    return items


# --- Helpers -----------------------------------------------------------------------------


def _clean(text: str) -> str:
    return grid_service.normalise_text(text or "")


def _text_errors(field: str, text: str, limit: int, what: str) -> dict[str, str]:
    if len(text) > limit:
        return {
            field: f"This is {len(text):,} characters long; {what} can be up to {limit:,}. "
            "Shorten it."
        }
    return {}

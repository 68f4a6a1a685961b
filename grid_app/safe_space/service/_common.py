"""Rules shared by every part of a session: limits, who may do what, and text checks."""

from __future__ import annotations

import re

from sqlalchemy import select

from grid_app.auth.models import Actor, Role, User
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.safe_space.models import (
    SafeSpaceSession,
    SessionParticipant,
)

TITLE_MAX = 200
RULES_MAX = 10_000
CONTRIBUTION_MAX = 5_000
# Far more than any session hears; a bound on what a script can pour into one.
SESSION_CONTRIBUTIONS_MAX = 2_000
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

ADDRESS_SPLIT = re.compile(r"[\s,;]+")
RECEIPT_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to copy
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


def require_joined(actor: User, meeting: SafeSpaceSession) -> SessionParticipant:
    invitation = check_access(actor, meeting)
    if invitation is None:
        raise Forbidden("The facilitator holds the session; only participants contribute.")
    if not has_joined(invitation):
        raise Forbidden("Read and accept the ground rules first.")
    return invitation


def require_open(meeting: SafeSpaceSession, doing: str) -> None:
    if not meeting.is_open:
        raise Invalid(f"This session is closed, so {doing} is no longer possible.")


def require_unpurged(meeting: SafeSpaceSession) -> None:
    if meeting.is_purged:
        raise Invalid("This session's contributions have been purged; only its summary is left.")


# --- Helpers -----------------------------------------------------------------------------


def clean(text: str) -> str:
    return grid_service.normalise_text(text or "")


def text_errors(field: str, text: str, limit: int, what: str) -> dict[str, str]:
    if len(text) > limit:
        return {
            field: f"This is {len(text):,} characters long; {what} can be up to {limit:,}. "
            "Shorten it."
        }
    return {}

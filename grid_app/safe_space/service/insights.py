"""Insights and consent: drafting, agreeing, promoting into the grid, reviewing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from grid_app import localtime, signals
from grid_app.audit import service as audit
from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.errors import Forbidden, Invalid
from grid_app.extensions import db
from grid_app.grid import service as grid_service
from grid_app.grid.models import Cell, CellRevision
from grid_app.safe_space.models import (
    Consent,
    Contribution,
    Insight,
    SafeSpaceSession,
    Theme,
    text_hash,
)
from grid_app.safe_space.service._common import (
    GROUP_NOTE_MAX,
    INSIGHT_MAX,
    check_access,
    clean,
    require_facilitator,
    require_unpurged,
    text_errors,
)

# --- Insights and consent ----------------------------------------------------------------


def draft_insight(
    actor: User, meeting: SafeSpaceSession, theme_id: int | None, text: str
) -> Insight:
    """Write an anonymised summary of a theme, in the facilitator's own words."""
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    theme = db.session.get(Theme, theme_id) if theme_id else None
    errors = {}
    if theme is None or theme.session_id != meeting.id:
        errors["theme"] = "Choose the theme this insight sums up."
    text = clean(text)
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
    text = clean(text)
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
    return text_errors("text", text, INSIGHT_MAX, "the insight")


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
        ask_review(select(Insight).where(Insight.id == insight.id))


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
    held = localtime.to_local(meeting.starts_at)
    revision = grid_service.add_insight(
        actor,
        cell,
        text=insight.text,
        summary=f"Insight from a safe-space session held on {held:%-d %B %Y}",
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


def ask_review(insights: object) -> None:
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

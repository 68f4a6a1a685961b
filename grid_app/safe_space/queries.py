"""Reading sessions for the people allowed to see them.

Every function that returns contributions takes the viewer and shows them only what their
place in the session allows: the facilitator sees everything not withdrawn, a participant
what is not hidden (and their own named contributions, hidden or not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload

from grid_app import localtime
from grid_app.auth.models import User
from grid_app.errors import NotFound
from grid_app.extensions import db
from grid_app.grid.models import Cell, ColumnKind, Grid, GridColumn, ServiceArea
from grid_app.safe_space import service
from grid_app.safe_space.models import (
    Contribution,
    Insight,
    SafeSpaceSession,
    SessionParticipant,
    Theme,
)


def meeting_by_id(session_id: int) -> SafeSpaceSession:
    """A session, with its facilitator loaded (access is checked by the caller)."""
    found = db.session.scalar(
        select(SafeSpaceSession)
        .where(SafeSpaceSession.id == session_id)
        .options(joinedload(SafeSpaceSession.facilitator))
    )
    if found is None:
        raise NotFound("There is no such session.")
    return found


Part = TypeVar("Part", Contribution, Theme, Insight)


def part_of(session_id: int, model: type[Part], key: object) -> Part:
    """A contribution, theme or insight of the session ``session_id`` (404 otherwise)."""
    found = db.session.get(model, key)
    if found is None or found.session_id != session_id:
        raise NotFound("There is no such item in this session.")
    return found


@dataclass(frozen=True)
class SessionListing:
    """One line in a person's list of sessions."""

    meeting: SafeSpaceSession
    facilitating: bool
    accepted: bool


def meetings_for(user: User) -> list[SessionListing]:
    """The sessions ``user`` holds or is invited to, newest first."""
    invited = {
        p.session_id: p
        for p in db.session.scalars(
            select(SessionParticipant).where(SessionParticipant.user_id == user.id)
        )
    }
    mine = service.can_facilitate(user)
    query = (
        select(SafeSpaceSession)
        .where(
            or_(
                SafeSpaceSession.id.in_(invited) if invited else false(),
                SafeSpaceSession.facilitator_id == user.id if mine else false(),
            )
        )
        .options(joinedload(SafeSpaceSession.facilitator))
        .order_by(SafeSpaceSession.starts_at.desc(), SafeSpaceSession.id.desc())
    )
    result = []
    for found in db.session.scalars(query):
        invitation = invited.get(found.id)
        result.append(
            SessionListing(
                found,
                facilitating=found.facilitator_id == user.id,
                accepted=service.has_joined(invitation),
            )
        )
    return result


def visible_contributions(viewer: User, meeting: SafeSpaceSession) -> list[Contribution]:
    """The contributions ``viewer`` may read, in a stable order that says nothing of when
    each was written."""
    query = (
        select(Contribution)
        .where(Contribution.session_id == meeting.id, Contribution.withdrawn.is_(False))
        .options(joinedload(Contribution.author))
        .order_by(Contribution.id)
    )
    if not service.is_facilitator_of(viewer, meeting):
        query = query.where(
            or_(
                Contribution.hidden.is_(False),
                and_(Contribution.anonymous.is_(False), Contribution.author_id == viewer.id),
            )
        )
    return list(db.session.scalars(query))


def themes(meeting: SafeSpaceSession) -> list[Theme]:
    """The session's themes, oldest first."""
    return list(
        db.session.scalars(select(Theme).where(Theme.session_id == meeting.id).order_by(Theme.id))
    )


@dataclass
class ThemeView:
    """A theme with the contributions under it that the viewer may read."""

    theme: Theme
    contributions: list[Contribution] = field(default_factory=list)
    count: int = 0


@dataclass
class SessionView:
    """Everything the session page shows one viewer."""

    meeting: SafeSpaceSession
    facilitating: bool
    invitation: SessionParticipant | None
    themes: list[ThemeView]
    unthemed: list[Contribution]
    insights: list[Insight]
    participants: list[SessionParticipant]
    # Themes holding the viewer's own named contributions: insights from them ask the viewer.
    my_theme_ids: set[int] = field(default_factory=set)

    @property
    def joined(self) -> bool:
        """True when the viewer may read the contributions."""
        return self.facilitating or service.has_joined(self.invitation)


def meeting_view(viewer: User, meeting: SafeSpaceSession) -> SessionView:
    """The session as ``viewer`` may see it (the caller has checked access)."""
    facilitating = service.is_facilitator_of(viewer, meeting)
    invitation = None if facilitating else service.participant_record(viewer, meeting)
    views = {t.id: ThemeView(t, count=t.purged_contribution_count or 0) for t in themes(meeting)}
    unthemed: list[Contribution] = []
    view = SessionView(meeting, facilitating, invitation, list(views.values()), unthemed, [], [])
    if not view.joined:
        return view
    for contribution in visible_contributions(viewer, meeting):
        theme = views.get(contribution.theme_id) if contribution.theme_id else None
        (theme.contributions if theme else unthemed).append(contribution)
        if theme and not contribution.anonymous and contribution.author_id == viewer.id:
            view.my_theme_ids.add(theme.theme.id)
    if not meeting.is_purged:
        for theme_view in views.values():
            theme_view.count = len(theme_view.contributions)
    view.insights = list(
        db.session.scalars(
            select(Insight)
            .where(Insight.session_id == meeting.id)
            .options(joinedload(Insight.theme), joinedload(Insight.cell))
            .order_by(Insight.id)
        )
    )
    view.participants = list(
        db.session.scalars(
            select(SessionParticipant)
            .where(SessionParticipant.session_id == meeting.id)
            .options(joinedload(SessionParticipant.user))
            .order_by(SessionParticipant.id)
        )
    )
    return view


def contribution_count(meeting: SafeSpaceSession) -> int:
    """How many contributions the session has (or had, when purged)."""
    if meeting.purged_contribution_count is not None:
        return meeting.purged_contribution_count
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Contribution)
            .where(Contribution.session_id == meeting.id, Contribution.withdrawn.is_(False))
        )
        or 0
    )


@dataclass(frozen=True)
class CellChoice:
    """A text cell an insight can go into."""

    id: int
    label: str


def cell_choices() -> list[CellChoice]:
    """Every text cell of every grid, by grid, service area and column."""
    rows = db.session.execute(
        select(Cell.id, Grid.name, ServiceArea.name, GridColumn.name)
        .join(ServiceArea, Cell.row_id == ServiceArea.id)
        .join(GridColumn, Cell.column_id == GridColumn.id)
        .join(Grid, Cell.grid_id == Grid.id)
        .where(
            ServiceArea.archived_at.is_(None),
            GridColumn.archived_at.is_(None),
            GridColumn.kind != ColumnKind.PEOPLE.value,
        )
        .order_by(Grid.id, ServiceArea.position, ServiceArea.id, GridColumn.position)
    ).all()
    several = len({grid for _, grid, _, _ in rows}) > 1
    return [
        CellChoice(cell_id, f"{grid}: {row} × {column}" if several else f"{row} × {column}")
        for cell_id, grid, row, column in rows
    ]


def summary_markdown(viewer: User, meeting: SafeSpaceSession, *, include_raw: bool) -> str:
    """The session's summary: themes with counts, insights, and (if asked) what was said,
    without names."""
    view = meeting_view(viewer, meeting)
    total = contribution_count(meeting)
    lines = [
        f"# {meeting.title}",
        "",
        f"Safe-space session held on {localtime.to_local(meeting.starts_at):%-d %B %Y at %H:%M} "
        f"({localtime.zone_name()}).",
        f"Participants invited: {len(view.participants)}. Contributions: {total}.",
        "",
        "## Themes",
        "",
    ]
    if not view.themes:
        lines.append("No themes.")
    for theme_view in view.themes:
        lines.append(f"- {theme_view.theme.name}: {_count(theme_view.count)}")
    lines += ["", "## Insights", ""]
    if not view.insights:
        lines.append("No insights drafted.")
    for insight in view.insights:
        where = (
            f" In the grid: {insight.cell.row.name} × {insight.cell.column.name}."
            if insight.cell
            else " Not in the grid."
        )
        theme = insight.theme.name if insight.theme else "no theme"
        lines.append(f"- ({theme}) {insight.text}{where}".replace("\n", " "))
    if include_raw and not meeting.is_purged:
        lines += ["", "## What was said (no names)", ""]
        for theme_view in [*view.themes, ThemeView(Theme(name="Not in a theme"), view.unthemed)]:
            if not theme_view.contributions:
                continue
            lines += [f"### {theme_view.theme.name}", ""]
            lines += [
                "> " + (c.body or "").replace("\n", "\n> ") + "\n"
                for c in theme_view.contributions
                if not c.hidden
            ]
    return "\n".join(lines).rstrip() + "\n"


def _count(n: int) -> str:
    return f"{n} contribution" + ("" if n == 1 else "s")

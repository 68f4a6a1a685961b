"""Themes: the facilitator's grouping of contributions."""

from __future__ import annotations

from sqlalchemy import select, update

from grid_app.auth.models import User
from grid_app.errors import Invalid
from grid_app.extensions import db
from grid_app.safe_space.models import (
    Contribution,
    Insight,
    SafeSpaceSession,
    Theme,
)
from grid_app.safe_space.service._common import (
    NOTES_MAX,
    THEME_NAME_MAX,
    clean,
    require_facilitator,
    require_unpurged,
    text_errors,
)

# --- Themes ------------------------------------------------------------------------------


def create_theme(actor: User, meeting: SafeSpaceSession, name: str) -> Theme:
    """Start a theme to group contributions under."""
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    theme = Theme(session_id=meeting.id, name=_theme_name(name))
    db.session.add(theme)
    db.session.flush()
    return theme


def update_theme(actor: User, theme: Theme, *, name: str, notes: str) -> None:
    """Rename a theme and change its working notes."""
    meeting = db.session.get_one(SafeSpaceSession, theme.session_id)
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    notes = clean(notes)
    errors = text_errors("notes", notes, NOTES_MAX, "the notes")
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
    require_unpurged(meeting)
    into = db.session.get(Theme, into_id) if into_id else None
    if into is None or into.session_id != meeting.id or into.id == theme.id:
        raise Invalid(
            "The themes were not merged.", {"into": "Choose another theme to merge into."}
        )
    for model in (Contribution, Insight):
        db.session.execute(update(model).where(model.theme_id == theme.id).values(theme_id=into.id))
    if theme.notes:
        into.notes = clean(f"{into.notes}\n\n{theme.notes}")
    db.session.delete(theme)
    db.session.flush()
    return into


def move_contributions(
    actor: User, meeting: SafeSpaceSession, keys: list[str], theme_id: int | None
) -> int:
    """Put the chosen contributions under a theme, or under none; how many moved."""
    require_facilitator(actor, meeting)
    require_unpurged(meeting)
    errors = {}
    chosen = (
        list(
            db.session.scalars(
                select(Contribution).where(
                    Contribution.session_id == meeting.id,
                    Contribution.id.in_(keys),
                    Contribution.withdrawn.is_(False),
                )
            )
        )
        if keys
        else []
    )
    if not keys:
        errors["contribution"] = "Choose at least one contribution to move."
    elif len(chosen) != len(set(keys)):
        errors["contribution"] = (
            "A contribution you chose is no longer here (withdrawn, perhaps). Choose again."
        )
    if theme_id is not None:
        theme = db.session.get(Theme, theme_id)
        if theme is None or theme.session_id != meeting.id:
            errors["theme"] = "Choose one of this session's themes."
    if errors:
        raise Invalid("Nothing was moved.", errors)
    for contribution in chosen:
        contribution.theme_id = theme_id
    db.session.flush()
    return len(chosen)


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

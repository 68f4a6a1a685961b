"""Mentions: the @addresses in a comment, and people to suggest while typing one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, or_, select

from grid_app.auth import queries as auth_queries
from grid_app.auth.models import User
from grid_app.errors import Invalid
from grid_app.extensions import db

MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


# --- Mentions ---------------------------------------------------------------------------


def mentioned_people(body: str, refusal: str) -> list[User]:
    """The people ``body`` mentions; an address that is not someone here is Invalid,
    with ``refusal`` as its message."""
    addresses = list(dict.fromkeys(a.lower() for a in MENTION.findall(body)))
    if not addresses:
        return []
    found = auth_queries.active_by_email(addresses)
    unknown = [a for a in addresses if a not in found]
    if unknown:
        names = ", ".join(f"@{a}" for a in unknown)
        raise Invalid(
            refusal,
            {
                "body": f"No one here has the address {names}. Pick people from the "
                "suggestions as you type @, or remove the @."
            },
        )
    return [found[a] for a in addresses]


def show_mentions(body: str, people: Iterable[User]) -> str:
    """The Markdown to render: each "@address" shown as the person's name, in bold."""
    names = {p.email.lower(): p.display_name for p in people}

    def name(match: re.Match[str]) -> str:
        found = names.get(match.group(1).lower())
        if found is None:
            return match.group(0)
        return "**@" + MARKDOWN_SPECIAL.sub(r"\\\1", found) + "**"

    return MENTION.sub(name, body)


# --- Suggestions ------------------------------------------------------------------------

SUGGESTIONS = 8


def suggest_people(actor: User, typed: str) -> list[User]:
    """Active people whose name or address starts with (or has a word starting with)
    ``typed``, other than the actor. discussion.service.suggest_people checks who may ask."""
    typed = typed.strip().lower()[:60]
    if not typed:
        return []
    like = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    name = func.lower(User.display_name)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id != actor.id,
                or_(
                    name.like(f"{like}%", escape="\\"),
                    name.like(f"% {like}%", escape="\\"),
                    func.lower(User.email).like(f"{like}%", escape="\\"),
                ),
            )
            .order_by(User.display_name, User.id)
            .limit(SUGGESTIONS)
        )
    )

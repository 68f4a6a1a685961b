"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from html import unescape
from typing import Any

import nh3
from flask import Flask
from markupsafe import Markup

from grid_app.database import utcnow
from grid_app.localtime import to_local, zone_name


def when(value: datetime | None) -> str:
    """A stored time in local time, as people in the UK write it: "3 Nov 2026, 14:05"."""
    if value is None:
        return ""
    value = to_local(value)
    return f"{value.day} {value:%b %Y, %H:%M}"


def local(value: datetime | None) -> datetime | None:
    """A stored (UTC) time as local wall-clock time, for templates that format it."""
    return None if value is None else to_local(value)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words: "just now", "5 minutes ago", "3 days ago", or a date."""
    if value is None:
        return ""
    seconds = int(((now or utcnow()) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            if unit == "day" and count > 30:
                shown = to_local(value)
                return f"on {shown.day} {shown:%b %Y}"
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def time_tag(value: datetime | None, now: datetime | None = None) -> Markup:
    """A <time> element saying how long ago (from ``now``, by default the present) on screen
    and the exact time on paper."""
    if value is None:
        return Markup("")
    # Built from dates and numbers only, so there is nothing to escape (and hundreds of
    # cells render quickly).
    iso = value.isoformat(timespec="seconds")
    # On paper "3 days ago" goes stale the day it is read: print shows the date instead.
    exact = when(value)
    return Markup(
        f'<time datetime="{iso}Z" title="{exact}">'
        f'<span class="app-no-print">{ago(value, now)}</span>'
        f'<span class="app-print-only">{exact}</span></time>'
    )


def stored_html(html: str | None) -> Markup:
    """HTML kept in the database (rendered Markdown), sanitised again as it is shown."""
    from grid_app.grid.markdown import sanitise

    return Markup(sanitise(html)) if html else Markup("")


_BLOCK_END = re.compile(r"</(p|li|h[1-6]|blockquote|pre|tr|td|th)>|<br\s*/?>", re.IGNORECASE)


def html_text(html: str | None) -> str:
    """Rendered Markdown as the words a reader sees: no tags, no stars, mentions as names."""
    if not html:
        return ""
    words = nh3.clean(_BLOCK_END.sub(" ", html), tags=set())
    return " ".join(unescape(words).split())


def names_in(ids: Iterable[int], people: Mapping[int, Any]) -> str:
    """The display names of the people with these ids, joined by commas."""
    return ", ".join(people[i].display_name for i in ids if i in people)


def init_app(app: Flask) -> None:
    """Register the filters."""
    from grid_app.grid.markdown import render

    app.jinja_env.filters.update(
        when=when,
        ago=ago,
        time_tag=time_tag,
        names_in=names_in,
        html_text=html_text,
        local=local,
        markdown=render,
        stored_html=stored_html,
    )
    app.jinja_env.globals["zone_name"] = zone_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

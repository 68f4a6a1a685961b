"""Local time: stored times are naive UTC; people read and type them in the configured zone.

The zone is the ``TIMEZONE`` setting (Europe/London unless configured), so summer times
are not shown an hour early. zoneinfo handles the changes of clock; tzdata supplies the
zone data where the system has none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_ZONE = "Europe/London"
# How forms name the zone they expect, for the zones people here are likely to set.
ZONE_NAMES = {"Europe/London": "UK time"}


def zone() -> ZoneInfo:
    """The configured zone (the default outside an application)."""
    name = current_app.config.get("TIMEZONE", DEFAULT_ZONE) if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)


def zone_name() -> str:
    """The zone as a form's hint names it: "UK time", or the zone's own name."""
    key = zone().key
    return ZONE_NAMES.get(key, key.replace("_", " "))


def to_local(value: datetime) -> datetime:
    """A stored (naive UTC) time as the local wall-clock time, naive."""
    return value.replace(tzinfo=UTC).astimezone(zone()).replace(tzinfo=None)


def to_utc(value: datetime) -> datetime:
    """A local wall-clock time someone typed, as a naive UTC time to store.

    An hour that happens twice (clocks go back) is read as its first time; an hour that
    does not happen (clocks go forward) is read as it would be before the change.
    """
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(tzinfo=zone(), fold=0).astimezone(UTC).replace(tzinfo=None)

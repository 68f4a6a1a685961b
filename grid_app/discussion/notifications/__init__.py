"""Telling people what they need to know, under their bell and by email as they choose.

People hear of: being mentioned in a comment, replies in threads they take part in, changes,
comments and new gap flags on cells or service areas they watch, gap flags assigned to them,
and every status change of a gap flag they raised. Nobody is told of their own doing, and one
event tells each person once (a mention outranks a reply, which outranks a watch).

Emails carry where and who, never what was written: the words stay behind the sign-in.

The parts: mentions, watching, service (telling people, marking read), receivers (signals
from other domains and the session hooks of imports), digest (daily and weekly email),
queries (reading notifications).
"""

# Imported for its side effect: connecting the receivers, once, when the package loads.
from grid_app.discussion.notifications import receivers as receivers
from grid_app.discussion.notifications.digest import digest_key, queue_digests
from grid_app.discussion.notifications.mentions import (
    mentioned_people,
    show_mentions,
    suggest_people,
)
from grid_app.discussion.notifications.queries import (
    PAGE,
    NotificationPage,
    notification_for,
    page,
    unread_count,
)
from grid_app.discussion.notifications.service import (
    comment_added,
    comment_edited,
    mark_all_read,
    mark_read,
    place,
    who,
)
from grid_app.discussion.notifications.watching import (
    WatchState,
    set_watch,
    stop_watching,
    watch_state,
    watches,
)

__all__ = [
    "PAGE",
    "NotificationPage",
    "WatchState",
    "comment_added",
    "comment_edited",
    "digest_key",
    "mark_all_read",
    "mark_read",
    "mentioned_people",
    "notification_for",
    "page",
    "place",
    "queue_digests",
    "receivers",
    "set_watch",
    "show_mentions",
    "stop_watching",
    "suggest_people",
    "unread_count",
    "watch_state",
    "watches",
    "who",
]

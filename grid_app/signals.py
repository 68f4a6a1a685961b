"""Events one domain announces and others may act on, so that a lower domain (the grid,
gap flags) never imports the ones built on it (notifications).

Receivers run inside the sender's transaction: what they write commits or rolls back with
the change that caused it.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the new CellRevision; keyword ``actor``: the User who made it.
cell_changed = _signals.signal("cell-changed")

# sender: the new GapFlagEvent (raised, acknowledged, assigned…); keyword ``actor``.
gap_flag_changed = _signals.signal("gap-flag-changed")

# sender: an Insight in the grid whose basis changed (consent or a contribution withdrawn);
# keywords ``cell`` (where it is) and ``recipient_id`` (the facilitator to tell). No actor:
# the person withdrawing may be an anonymous contributor.
insight_needs_review = _signals.signal("insight-needs-review")

# sender: a SafeSpaceSession; keywords ``actor`` (its facilitator), ``people`` (Users to ask)
# and ``insight_id``: None to invite them, else to ask for their agreement to that insight.
# Receivers must not pass on the session's title or any wording: they may say too much.
session_request = _signals.signal("session-request")

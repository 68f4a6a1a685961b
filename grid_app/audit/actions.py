"""Every audited action in words: a label for the filter, a sentence for the log, and the
detail keys that may be shown.

An event's ``details`` are shown only through the keys listed here for its action, and a
safe-space event's only when they are numbers or a few known words, so the log can never show
what a participant wrote, whatever a later change puts into those details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# What the log says an unknown actor is: nobody known tried to sign in.
SOMEONE_UNKNOWN = "Someone unknown"
# Whoever ran a command on the server (the command line, the scheduled seal, demo data).
OPERATOR = "Operator"
# Actions where a missing actor means an unknown person rather than the operator.
UNKNOWN_ACTOR_ACTIONS = frozenset({"auth.sign_in_failed", "sso.refused"})


@dataclass(frozen=True)
class Subject:
    """What an event was about, as the log names it; ``ref`` and ``session_id`` let a page
    link to it (``ref`` is a slug for a grid, a cell id for a comment)."""

    kind: str
    id: str
    label: str
    found: bool = True
    ref: str = ""
    session_id: int | None = None


@dataclass(frozen=True)
class Said:
    """What describing one event needs: its action, allowed details, subject and names."""

    action: str
    actor_id: int | None
    subject: Subject | None
    details: Mapping[str, Any]
    names: Mapping[int, str] = field(default_factory=dict)
    cells: Mapping[int, str] = field(default_factory=dict)

    @property
    def about(self) -> str:
        """The subject's name, or a plain word when there is none."""
        return self.subject.label if self.subject else "something"

    def name(self, user_id: Any) -> str:
        """A person's name from an id in the details."""
        if isinstance(user_id, int) and user_id in self.names:
            return self.names[user_id]
        return "someone no longer known" if user_id else "nobody"

    def cell(self) -> str:
        """The cell named by ``cell_id`` in the details."""
        cell_id = self.details.get("cell_id")
        if isinstance(cell_id, int) and cell_id in self.cells:
            return self.cells[cell_id]
        return "a cell that has gone"

    def to_self(self) -> bool:
        """True when the actor acted on their own account."""
        subject = self.subject
        return bool(subject and subject.kind == "user" and subject.id == str(self.actor_id))

    def number(self, key: str) -> int | None:
        """A whole number from the details, or None."""
        value = self.details.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Action:
    """One kind of audited action."""

    label: str
    describe: Callable[[Said], str]
    details: tuple[str, ...] = ()


def _roles(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return "no role"
    return ", ".join(str(v) for v in value)


def _sessions(said: Said) -> str:
    ended = said.number("sessions_ended")
    if not ended:
        return ""
    return f", ending {ended} sign-in session{'' if ended == 1 else 's'}"


def _address(said: Said) -> str:
    email = said.details.get("email")
    return email if isinstance(email, str) and email else "someone"


def _bulk_invited(said: Said) -> str:
    invited, resent = said.number("invited") or 0, said.number("resent") or 0
    text = f"invited {invited} {'person' if invited == 1 else 'people'} from a list"
    return (
        f"{text} and sent {resent} invitation{'' if resent == 1 else 's'} again" if resent else text
    )


def _addresses(said: Said) -> str:
    before, after = said.details.get("before"), said.details.get("after")
    if not (isinstance(before, str) and isinstance(after, str)):
        return ""
    return f" from {before} to {after}"


def _redacted(said: Said) -> str:
    revision = said.number("revision")
    return f"revision {revision} of {said.about}" if revision else said.about


def _sign_in_failed(said: Said) -> str:
    # With an account's address, whoever typed the password may not be its holder.
    if said.actor_id is None:
        return "failed to sign in"
    return "had a failed sign-in to their account"


# Why a single sign-on let nobody in, as the log says it.
SSO_REFUSALS = {
    "unverified": "the provider did not vouch for the email address",
    "unknown": "nobody here has that email address",
    "switched_off": "the account is switched off",
    "someone_else": "it was another person's identity",
    "not_fresh": "the provider did not confirm a fresh sign-in",
}


def _sso_refused(said: Said) -> str:
    why = SSO_REFUSALS.get(str(said.details.get("reason")), "")
    start = "was refused" if said.actor_id is not None else "someone unknown was refused"
    return f"{start} single sign-on" + (f" ({why})" if why else "")


def _password_changed(said: Said) -> str:
    if said.to_self():
        return f"changed their password{_sessions(said)}"
    return f"changed the password of {said.about}{_sessions(said)}"


def _email_frequency(said: Said) -> str:
    old, new = said.details.get("old"), said.details.get("new")
    who = "they are" if said.to_self() else f"{said.about} is"
    if old is None or new is None:
        return f"changed how often {who} emailed"
    return f"changed how often {who} emailed from {old} to {new}"


SEVERITIES = ("low", "medium", "high")


def _raised(said: Said) -> str:
    severity = said.details.get("severity")
    kind = f"a {severity} gap flag" if severity in SEVERITIES else "a gap flag"
    return f"raised {kind} on {said.cell()}"


def _assigned(said: Said) -> str:
    owner = said.details.get("owner_id")
    due = said.details.get("due_date")
    text = f"assigned {said.about} to {said.name(owner)}"
    return f"{text}, due {due}" if due else text


EXPORTS = {"grid": "the grid", "gaps": "the open gaps", "sharing": "the sharing-practice document"}


def _exported(said: Said) -> str:
    what = EXPORTS.get(str(said.details.get("what")), "the grid")
    fmt = str(said.details.get("format") or "").upper()
    text = f"exported {what} of {said.about}"
    return f"{text} as {fmt}" if fmt in {"CSV", "XLSX"} else text


def _imported(said: Said) -> str:
    counts = [
        (said.number("rows_added"), "service area", "added"),
        (said.number("columns_added"), "column", "added"),
        (said.number("cells_changed"), "cell", "changed"),
    ]
    parts = [f"{n} {noun}{'' if n == 1 else 's'} {verb}" for n, noun, verb in counts if n]
    text = f"imported a spreadsheet into {said.about}"
    return f"{text}: {', '.join(parts)}" if parts else text


def _review_period(said: Said) -> str:
    before, after = said.number("before"), said.number("after")
    if before is None or after is None:
        return f"set the review period of {said.about}"
    return f"set the review period of {said.about} from {before} to {after} days"


def _history_exported(said: Said) -> str:
    if said.subject and said.subject.kind == "grid":
        return f"downloaded the whole history of {said.about}"
    return f"downloaded the history of {said.about}"


def _session_created(said: Said) -> str:
    invited = said.number("invited")
    if invited is None:
        return f"created {said.about}"
    return f"created {said.about}, inviting {invited} {'person' if invited == 1 else 'people'}"


READS = {
    "contributions": "read {about}",
    "summary with contributions": "read the summary of {about} with what was said",
}


def _read(said: Said) -> str:
    # Only the known values of "what" are shown; anything else reads as a plain read.
    template = READS.get(str(said.details.get("what")), READS["contributions"])
    return template.format(about=said.about)


def _sealed(said: Said) -> str:
    n = said.number("count")
    if n is None:
        return f"sealed the waiting anonymous contributions into {said.about}"
    noun = "contribution" if n == 1 else "contributions"
    return f"sealed {n} anonymous {noun} into {said.about}"


def _purged(said: Said) -> str:
    n = said.number("contributions")
    text = f"deleted what was said in {said.about} at the end of its retention period"
    return f"{text} ({n} contribution{'' if n == 1 else 's'})" if n is not None else text


def _filters(said: Said) -> str:
    parts = []
    person = said.details.get("person")
    if person:
        parts.append(f"person {said.name(person)}")
    action = said.details.get("filtered_action")
    if action:
        known = ACTIONS.get(str(action))
        parts.append(f"action “{known.label if known else action}”")
    if said.details.get("from"):
        parts.append(f"from {said.details['from']}")
    if said.details.get("to"):
        parts.append(f"to {said.details['to']}")
    return f", filtered by {', '.join(parts)}" if parts else ""


RETENTION_KINDS = {
    "audit_log": "audit log",
    "sign_ins": "sign-in records",
    "notifications": "notifications",
}


def _kind(s: Said) -> str:
    return RETENTION_KINDS.get(str(s.details.get("kind")), "records")


def _retention_changed(s: Said) -> str:
    before, after = s.details.get("before"), s.details.get("after")
    if isinstance(before, int) and isinstance(after, int):
        return f"changed the retention period of the {_kind(s)} from {before} to {after} days"
    return f"changed the retention period of the {_kind(s)}"


def _purged_records(s: Said) -> str:
    parts = [
        f"{s.details[key]} from the {label}"
        for key, label in RETENTION_KINDS.items()
        if isinstance(s.details.get(key), int) and s.details[key]
    ]
    return "deleted expired records: " + ("; ".join(parts) or "none")


ACTIONS: dict[str, Action] = {
    # Signing in and accounts
    "auth.signed_in": Action(
        "Signed in",
        lambda s: (
            "signed in with single sign-on" if s.details.get("method") == "sso" else "signed in"
        ),
        ("method",),
    ),
    # Single sign-on
    "sso.linked": Action(
        "Linked to single sign-on", lambda s: "signed in with single sign-on for the first time"
    ),
    "sso.account_created": Action(
        "Account made by single sign-on",
        lambda s: "got an account by signing in with single sign-on",
        ("roles",),
    ),
    "sso.refused": Action("Single sign-on refused", _sso_refused, ("reason",)),
    "sso.reauthenticated": Action(
        "Signed in again with single sign-on",
        lambda s: "proved who they are again with single sign-on",
    ),
    "sso.roles_from_groups": Action(
        "Roles from the identity provider",
        lambda s: (
            f"got roles from their groups at the identity provider: "
            f"{_roles(s.details.get('before'))} to {_roles(s.details.get('after'))}"
        ),
        ("before", "after"),
    ),
    "sso.last_admin_kept": Action(
        "Admin kept against the identity provider",
        lambda s: (
            "kept the admin role as the last active admin, although their groups at the "
            f"identity provider gave only {_roles(s.details.get('groups_gave'))}"
        ),
        ("groups_gave",),
    ),
    "sso.passwords_switched_off": Action(
        "Passwords switched off",
        lambda s: f"switched passwords off for everyone but {s.about}",
    ),
    "sso.passwords_switched_on": Action(
        "Passwords switched on", lambda s: "switched passwords on again for everyone"
    ),
    "auth.sign_in_failed": Action("Sign-in failed", _sign_in_failed),
    "auth.signed_out": Action("Signed out", lambda s: "signed out"),
    # No longer recorded (the profile signs out everywhere else); kept for older events.
    "auth.signed_out_everywhere": Action(
        "Signed out everywhere", lambda s: "signed out everywhere"
    ),
    "auth.reset_requested": Action(
        "Password reset asked for", lambda s: "asked for a password reset link"
    ),
    "auth.password_reset": Action(
        "Password reset",
        lambda s: f"reset their password with an emailed link{_sessions(s)}",
        ("sessions_ended",),
    ),
    "auth.password_changed": Action("Password changed", _password_changed, ("sessions_ended",)),
    "auth.password_set": Action(
        "Password set",
        lambda s: f"set the password of {s.about}{_sessions(s)}",
        ("sessions_ended",),
    ),
    "auth.session_ended": Action(
        "Signed a browser out",
        lambda s: f"signed out one of their browsers ({s.details.get('device') or 'unknown'})",
        ("device",),
    ),
    "auth.signed_out_elsewhere": Action(
        "Signed out everywhere else",
        lambda s: f"signed out of every other browser{_sessions(s)}",
        ("sessions_ended",),
    ),
    "auth.email_change_requested": Action(
        "Email change asked for",
        lambda s: f"asked to change their email address{_addresses(s)}",
        ("before", "after"),
    ),
    "auth.email_changed": Action(
        "Email address changed",
        lambda s: f"changed their email address{_addresses(s)}{_sessions(s)}",
        ("before", "after", "sessions_ended"),
    ),
    "auth.second_factor_on": Action(
        "Authenticator app turned on", lambda s: "turned on an authenticator app for signing in"
    ),
    "auth.second_factor_off": Action(
        "Authenticator app turned off", lambda s: "turned off their authenticator app"
    ),
    "auth.second_factor_failed": Action(
        "Wrong authenticator code", lambda s: "typed a wrong authenticator or recovery code"
    ),
    "auth.recovery_code_used": Action(
        "Recovery code used",
        lambda s: f"used a recovery code ({s.details.get('left', 'some')} left)",
        ("left",),
    ),
    "auth.second_factor_reset": Action(
        "Second factor reset",
        lambda s: f"reset the second factor of {s.about}",
    ),
    "user.email_frequency": Action("Email frequency changed", _email_frequency, ("old", "new")),
    # People
    "user.created": Action(
        "Account created",
        lambda s: f"created the account of {s.about} with roles {_roles(s.details.get('roles'))}",
        ("roles",),
    ),
    "user.roles_changed": Action(
        "Roles changed",
        lambda s: (
            f"changed the roles of {s.about} from {_roles(s.details.get('before'))} "
            f"to {_roles(s.details.get('after'))}"
        ),
        ("before", "after"),
    ),
    "user.deactivated": Action(
        "Person deactivated",
        lambda s: f"deactivated {s.about}{_sessions(s)}",
        ("sessions_ended",),
    ),
    "user.reactivated": Action("Person reactivated", lambda s: f"reactivated {s.about}"),
    "user.erased": Action(
        "Person erased", lambda s: f"erased the name, address and private data of {s.about}"
    ),
    "user.invited": Action(
        "Person invited",
        lambda s: (
            f"{'invited again' if s.details.get('again') is True else 'invited'} {s.about} "
            f"with roles {_roles(s.details.get('roles'))}"
        ),
        ("roles", "again"),
    ),
    "user.bulk_invited": Action("People invited from a list", _bulk_invited, ("invited", "resent")),
    "user.invitation_resent": Action(
        "Invitation sent again", lambda s: f"sent {s.about} their invitation again"
    ),
    "user.invitation_cancelled": Action(
        "Invitation cancelled", lambda s: f"cancelled the invitation of {s.about}"
    ),
    "user.invitation_accepted": Action(
        "Invitation accepted", lambda s: "accepted their invitation and joined"
    ),
    "people.setting_changed": Action(
        "Managers' inviting switched",
        lambda s: (
            "let managers invite people"
            if s.details.get("after") is True
            else "stopped managers inviting people"
        ),
        ("after",),
    ),
    "account_request.made": Action(
        "Account asked for",
        lambda s: f"asked for an account for {_address(s)}",
        ("email",),
    ),
    "account_request.approved": Action(
        "Account request approved",
        lambda s: f"approved the request for an account for {_address(s)}",
        ("email",),
    ),
    "account_request.declined": Action(
        "Account request declined",
        lambda s: f"declined the request for an account for {_address(s)}",
        ("email",),
    ),
    "user.sessions_ended": Action(
        "Signed out of every browser",
        lambda s: f"signed {s.about} out of every browser{_sessions(s)}",
        ("sessions_ended",),
    ),
    "user.everyone_signed_out": Action(
        "Everyone signed out",
        lambda s: f"signed everyone out of every browser{_sessions(s)}",
        ("sessions_ended",),
    ),
    # The grid
    "grid.exported": Action("Grid exported", _exported, ("what", "format")),
    "grid.imported": Action(
        "Spreadsheet imported",
        _imported,
        ("filename", "rows_added", "columns_added", "cells_changed"),
    ),
    "grid.categories_set": Action(
        "Sharing categories set",
        lambda s: f"set the sharing-practice categories of service areas in {s.about}",
    ),
    "grid.review_period_set": Action("Review period set", _review_period, ("before", "after")),
    "history.exported": Action("History downloaded", _history_exported),
    # Gap flags
    "gap_flag.raised": Action("Gap flag raised", _raised, ("cell_id", "severity")),
    "gap_flag.acknowledged": Action(
        "Gap flag acknowledged",
        lambda s: f"acknowledged {s.about}",
        ("from_status", "to_status"),
    ),
    "gap_flag.assigned": Action(
        "Gap flag assigned",
        _assigned,
        ("from_status", "to_status", "owner_id", "due_date"),
    ),
    "gap_flag.started": Action(
        "Gap flag work started",
        lambda s: f"started work on {s.about}",
        ("from_status", "to_status"),
    ),
    "gap_flag.resolved": Action(
        "Gap flag resolved", lambda s: f"resolved {s.about}", ("from_status", "to_status")
    ),
    "gap_flag.wont_fix": Action(
        "Gap flag closed as won’t fix",
        lambda s: f"closed {s.about} as won’t fix",
        ("from_status", "to_status"),
    ),
    "gap_flag.reopened": Action(
        "Gap flag reopened", lambda s: f"reopened {s.about}", ("from_status", "to_status")
    ),
    # Comments
    "comment.deleted": Action(
        "Comment deleted", lambda s: f"deleted {s.about} on {s.cell()}", ("cell_id",)
    ),
    "comment.resolved": Action(
        "Discussion resolved",
        lambda s: f"resolved the discussion ({s.about}) on {s.cell()}",
        ("cell_id",),
    ),
    "comment.reopened": Action(
        "Discussion reopened",
        lambda s: f"reopened the discussion ({s.about}) on {s.cell()}",
        ("cell_id",),
    ),
    # Safe-space sessions: nothing a participant wrote is ever among the details shown.
    "safe_space.template_changed": Action(
        "Session template changed",
        lambda s: "changed the ground rules and signposting new sessions start from",
    ),
    "safe_space.session_created": Action("Session created", _session_created, ("invited",)),
    "safe_space.session_changed": Action(
        "Session settings changed", lambda s: f"changed the settings of {s.about}"
    ),
    "safe_space.rules_accepted": Action(
        "Ground rules accepted",
        lambda s: f"accepted the ground rules of {s.about}",
        ("rules_version",),
    ),
    "safe_space.session_closed": Action("Session closed", lambda s: f"closed {s.about}"),
    "safe_space.session_reopened": Action("Session reopened", lambda s: f"reopened {s.about}"),
    "safe_space.contributions_read": Action("Session read", _read, ("what",)),
    "safe_space.contribution_hidden": Action(
        "Contribution hidden", lambda s: f"hid a contribution in {s.about}"
    ),
    "safe_space.contribution_shown": Action(
        "Contribution shown again", lambda s: f"showed a hidden contribution again in {s.about}"
    ),
    "safe_space.contributions_sealed": Action(
        "Anonymous contributions sealed", _sealed, ("count",)
    ),
    "safe_space.session_purged": Action(
        "Session deleted after retention", _purged, ("contributions",)
    ),
    "safe_space.consent_given": Action(
        "Consent given", lambda s: f"consented to {s.about} being used"
    ),
    "safe_space.consent_withdrawn": Action(
        "Consent withdrawn", lambda s: f"withdrew their consent to {s.about}"
    ),
    "safe_space.group_consent_recorded": Action(
        "Group consent recorded", lambda s: f"recorded the group’s consent to {s.about}"
    ),
    "safe_space.insight_promoted": Action(
        "Insight added to the grid",
        lambda s: f"added {s.about} to {s.cell()}",
        ("cell_id", "revision_id"),
    ),
    "safe_space.insight_reviewed": Action("Insight reviewed", lambda s: f"reviewed {s.about}"),
    # Data protection
    "retention.changed": Action(
        "Retention period changed",
        _retention_changed,
        ("kind", "before", "after"),
    ),
    "retention.purged": Action(
        "Expired records deleted", _purged_records, ("audit_log", "sign_ins", "notifications")
    ),
    "user.data_exported": Action(
        "Personal data downloaded",
        lambda s: f"downloaded the personal data of {s.about} ({s.details.get('rows', 0)} records)",
        ("rows",),
    ),
    # Redactions
    "redaction.requested": Action(
        "Redaction asked for",
        lambda s: f"asked for {_redacted(s)} to be redacted",
        ("revision", "redaction", "cell_id"),
    ),
    "redaction.approved": Action(
        "Redaction approved",
        lambda s: (
            f"approved redacting {_redacted(s)}, asked for by "
            f"{s.name(s.details.get('requested_by'))}"
        ),
        ("revision", "redaction", "cell_id", "requested_by"),
    ),
    "redaction.declined": Action(
        "Redaction declined",
        lambda s: (
            f"declined redacting {_redacted(s)}, asked for by "
            f"{s.name(s.details.get('requested_by'))}"
        ),
        ("revision", "redaction", "cell_id", "requested_by"),
    ),
    "redaction.undone": Action(
        "Redaction undone",
        lambda s: f"undid the redaction of {_redacted(s)}",
        ("revision", "redaction", "cell_id"),
    ),
    # The audit log itself
    "audit.viewed": Action(
        "Audit log viewed",
        lambda s: f"viewed the audit log{_filters(s)}",
        ("person", "filtered_action", "from", "to"),
    ),
    "audit.exported": Action(
        "Audit log downloaded",
        lambda s: f"downloaded the audit log as CSV{_filters(s)}",
        ("person", "filtered_action", "from", "to"),
    ),
}

# The filter's groups, in order, by the part of the action's name before the dot.
GROUPS = {
    "auth": "Signing in",
    "sso": "Signing in",
    "user": "People and accounts",
    "people": "People and accounts",
    "account_request": "People and accounts",
    "grid": "The grid",
    "history": "The grid",
    "gap_flag": "Gap flags",
    "comment": "Comments",
    "redaction": "The grid",
    "safe_space": "Safe-space sessions",
    "audit": "The audit log",
    "retention": "Data protection",
}


def grouped() -> list[tuple[str, list[tuple[str, str]]]]:
    """The known actions as (group, [(action, label), …]) for the filter's select."""
    groups: dict[str, list[tuple[str, str]]] = {label: [] for label in GROUPS.values()}
    for name, action in ACTIONS.items():
        groups[GROUPS.get(name.split(".")[0], "Other")].append((name, action.label))
    return [(g, sorted(items, key=lambda i: i[1])) for g, items in groups.items() if items]


# Text a safe-space event's details may hold, by key; any other text there is never shown.
SAFE_SPACE_TEXT = {"what": frozenset(READS)}


def shown_details(action: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """Only the detail keys allowed for ``action`` (none for an action not known here).

    A safe-space event shows numbers, and text only from ``SAFE_SPACE_TEXT``: even an
    allowed key cannot carry a sentence someone wrote into the log."""
    known = ACTIONS.get(action)
    if known is None:
        return {}
    shown = {key: details[key] for key in known.details if key in details}
    if action.startswith("safe_space."):
        shown = {
            key: value
            for key, value in shown.items()
            if (isinstance(value, int) and not isinstance(value, bool))
            or (isinstance(value, str) and value in SAFE_SPACE_TEXT.get(key, ()))
        }
    return shown


def label(action: str) -> str:
    """The action's label, or its recorded name if it is not known."""
    known = ACTIONS.get(action)
    return known.label if known else action


def describe(said: Said) -> str:
    """The sentence that follows the actor's name: "changed the roles of Tom Hughes …"."""
    known = ACTIONS.get(said.action)
    if known is None:
        # A new action without words yet: say what was recorded, but nothing of its details.
        if said.subject:
            return f"did “{said.action}” to {said.about}"
        return f"did “{said.action}”"
    return known.describe(said)


def actor_name(action: str, actor_id: int | None, names: Mapping[int, str]) -> str:
    """Who did it: a person's name, the operator, or someone unknown."""
    if actor_id is None:
        return SOMEONE_UNKNOWN if action in UNKNOWN_ACTOR_ACTIONS else OPERATOR
    return names.get(actor_id, "Someone no longer known")

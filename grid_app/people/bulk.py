"""Inviting many people at once: a pasted list or a CSV file, a preview, then sending.

The preview writes nothing. What it planned travels back in the confirming form as plain
CSV (address, name, roles), and confirming plans it all again, so anything that changed in
between (someone invited meanwhile) is answered as it now stands.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app

from grid_app.audit import service as audit
from grid_app.auth.models import Actor, Role
from grid_app.errors import DomainError, Invalid
from grid_app.people import invitations

# What will happen to one row.
INVITE = "invite"
RESEND = "resend"
HAS_ACCOUNT = "has_account"
INVALID = "invalid"
BAD_ROLES = "bad_roles"
DUPLICATE = "duplicate"
OUTCOMES = {
    INVITE: "Will be invited",
    RESEND: "Already invited: will be sent a new link",
    HAS_ACCOUNT: "Already has an account: left as it is",
    INVALID: "Not an email address: left out",
    BAD_ROLES: "Roles not allowed: left out",
    DUPLICATE: "Already in the list: left out",
}
# "Name <address>" as a mail program writes it.
NAMED = re.compile(r"^\s*\"?(?P<name>[^<>\"]*?)\"?\s*<(?P<email>[^<>]*)>\s*$")
ROLE_SPLIT = re.compile(r"[\s;|/]+")


@dataclass(frozen=True)
class Entry:
    """One row as read: where it was, the address and name, and any roles of its own."""

    line: int
    email: str
    name: str = ""
    roles: tuple[str, ...] | None = None


@dataclass
class Planned:
    """One row and what will happen to it."""

    entry: Entry
    outcome: str
    roles: tuple[str, ...] = ()
    note: str = ""

    @property
    def label(self) -> str:
        """The outcome in words."""
        return OUTCOMES[self.outcome]


@dataclass
class Plan:
    """Every row, and how many of each outcome."""

    rows: list[Planned] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        """How many rows will have ``outcome``."""
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def sending(self) -> int:
        """How many emails confirming would send."""
        return self.count(INVITE) + self.count(RESEND)


def _limit(count: int, field_name: str) -> None:
    maximum = int(current_app.config["INVITE_MAX_ROWS"])
    if count > maximum:
        raise Invalid(
            "Nobody was invited.",
            {field_name: f"Invite up to {maximum:,} people at a time: this has {count:,}."},
        )


def parse_text(text: str) -> list[Entry]:
    """One address a line: ``address``, ``Name <address>`` or ``address, name``."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        named = NAMED.match(line)
        if named:
            entries.append(Entry(number, named["email"].strip(), named["name"].strip()))
            continue
        email, _, name = line.partition(",")
        entries.append(Entry(number, email.strip(), name.strip()))
    _limit(len(entries), "addresses")
    return entries


def parse_csv(data: bytes, field_name: str = "file") -> list[Entry]:
    """Rows of a CSV file whose header names ``email`` and, if wanted, ``name`` and ``roles``."""
    maximum = int(current_app.config["INVITE_MAX_BYTES"])
    if len(data) > maximum:
        raise Invalid(
            "Nobody was invited.",
            {field_name: f"Choose a CSV file of up to {maximum // 1024:,} KB."},
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(
            "Nobody was invited.", {field_name: "Save the file as CSV (UTF-8) and try again."}
        ) from None
    return parse_csv_text(text, field_name)


def parse_csv_text(text: str, field_name: str) -> list[Entry]:
    """As ``parse_csv``, from text."""
    try:
        reader = csv.reader(io.StringIO(text))
        rows = list(reader)
    except csv.Error:
        raise Invalid(
            "Nobody was invited.", {field_name: "This file is not CSV that can be read."}
        ) from None
    if not rows:
        raise Invalid("Nobody was invited.", {field_name: "The file is empty."})
    header = [cell.strip().lower() for cell in rows[0]]
    if "email" not in header:
        raise Invalid(
            "Nobody was invited.",
            {
                field_name: "The first row must name the columns: email, and if you like "
                "name and roles."
            },
        )
    at: dict[str, int] = {
        name: header.index(name) for name in ("email", "name", "roles") if name in header
    }

    def cell(row: list[str], name: str) -> str:
        index = at.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(value.strip() for value in row):
            continue
        roles = cell(row, "roles")
        entries.append(
            Entry(
                number,
                cell(row, "email"),
                cell(row, "name"),
                tuple(r.lower() for r in ROLE_SPLIT.split(roles) if r) if roles else None,
            )
        )
    _limit(len(entries), field_name)
    return entries


def plan(actor: Actor, entries: Iterable[Entry], default_roles: Iterable[str]) -> Plan:
    """What inviting these rows would do, row by row; reads only.

    Rows without roles of their own get ``default_roles``, which must be acceptable.
    """
    invitations.require_invite(actor)
    defaults = tuple(sorted(r.value for r in invitations.check_roles(actor, default_roles)))
    result = Plan()
    seen: dict[str, int] = {}
    for entry in entries:
        email = invitations.clean_address(entry.email)
        if email is None:
            result.rows.append(Planned(entry, INVALID))
            continue
        if email in seen:
            result.rows.append(Planned(entry, DUPLICATE, note=f"line {seen[email]}"))
            continue
        seen[email] = entry.line
        entry = Entry(entry.line, email, entry.name, entry.roles)
        roles = defaults
        if entry.roles is not None:
            try:
                roles = tuple(sorted(r.value for r in invitations.check_roles(actor, entry.roles)))
            except DomainError as error:
                note = getattr(error, "field_errors", {}).get("roles", error.message)
                result.rows.append(Planned(entry, BAD_ROLES, note=note))
                continue
        user = invitations.account_for(email)
        if user is not None and user.status == "invited":
            result.rows.append(Planned(entry, RESEND, roles))
        elif invitations.refusal(user):
            result.rows.append(Planned(entry, HAS_ACCOUNT))
        else:
            result.rows.append(Planned(entry, INVITE, roles))
    return result


def carry(planned: Plan) -> str:
    """The rows that would send mail, as CSV for the confirming form to bring back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "roles"])
    for row in planned.rows:
        if row.outcome in (INVITE, RESEND):
            writer.writerow([row.entry.email, row.entry.name, " ".join(row.roles)])
    return out.getvalue()


@dataclass(frozen=True)
class Sent:
    """What confirming did."""

    invited: int
    resent: int
    plan: Plan


def send(actor: Actor, carried: str) -> Sent:
    """Plan the carried rows again as things now stand, then invite and resend."""
    entries = parse_csv_text(carried, "rows")
    again = plan(actor, entries, [Role.CONTRIBUTOR.value])
    invited = resent = 0
    for row in again.rows:
        if row.outcome == INVITE:
            invitations.invite(actor, row.entry.email, row.roles, row.entry.name)
            invited += 1
        elif row.outcome == RESEND:
            user = invitations.account_for(row.entry.email)
            if user is not None:
                invitations.resend(actor, user)
                resent += 1
    audit.record(actor, "user.bulk_invited", "user", "", invited=invited, resent=resent)
    return Sent(invited, resent, again)

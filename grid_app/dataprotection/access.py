"""Subject access (UK GDPR Art. 15): everything the app holds that points at one person.

Which columns point at a person is read from the schema. Each is either exported under a
heading (``COVERED``) or left out for a stated reason (``LEFT_OUT``); a test fails when a
column pointing at a person is in neither, so a new table cannot be forgotten. Anonymous
safe-space contributions point at nobody and are never exported.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import render_template
from sqlalchemy import Column, Table, and_, or_, select

from grid_app.audit import service as audit
from grid_app.auth.models import User
from grid_app.database import utcnow
from grid_app.dataprotection.service import require_manage
from grid_app.extensions import db

PERSON_TABLE = "user_account"

# (table, column) → the heading their rows appear under.
COVERED: dict[tuple[str, str], str] = {
    ("user_role", "user_id"): "Roles",
    ("user_session", "user_id"): "Where they are signed in",
    ("account_token", "user_id"): "Links sent to them (invitation, reset, email change)",
    ("second_factor", "user_id"): "Their authenticator app (when set up; never its secret)",
    ("recovery_code", "user_id"): "Their recovery codes (when each was used; never the codes)",
    ("invitation", "user_id"): "Their invitation",
    ("invitation", "invited_by_id"): "Invitations they sent",
    ("account_request", "requested_by_id"): "Accounts they asked for",
    ("account_request", "decided_by_id"): "Account requests they decided",
    ("people_setting", "changed_by_id"): "Settings they changed",
    ("retention_setting", "changed_by_id"): "Settings they changed",
    ("sign_in_policy", "changed_by_id"): "Settings they changed",
    ("sign_in_policy", "break_glass_id"): "Sign-in settings naming them as break-glass admin",
    ("sso_identity", "user_id"): "Their single sign-on identity (provider and subject id)",
    ("audit_event", "actor_id"): "Audit events: what they did",
    ("outgoing_mail", "user_id"): "Emails to them",
    ("import_upload", "created_by_id"): "Spreadsheets they uploaded",
    ("cell", "updated_by_id"): "Cells they changed last",
    ("cell_owner", "user_id"): "Service areas they own",
    ("cell_revision", "author_id"): "Revisions they wrote",
    ("applied_save", "user_id"): "Saves they made",
    ("grid_change", "author_id"): "Changes to the grid's shape",
    ("comment", "author_id"): "Comments they wrote",
    ("comment", "resolved_by_id"): "Discussions they resolved",
    ("comment_edit", "editor_id"): "Earlier wordings of their comments",
    ("mention", "user_id"): "Comments that mention them",
    ("watch", "user_id"): "What they watch",
    ("notification", "user_id"): "Their notifications",
    ("gap_flag", "raised_by_id"): "Gap flags they raised",
    ("gap_flag", "owner_id"): "Gap flags assigned to them",
    ("gap_flag_event", "actor_id"): "Gap flag steps they took",
    ("gap_flag_event", "owner_id"): "Gap flag steps assigning to them",
    ("safe_space_template", "updated_by_id"): "Session templates they changed",
    ("safe_space_session", "facilitator_id"): "Safe-space sessions they facilitate",
    ("safe_space_participant", "user_id"): "Safe-space sessions they were invited to",
    ("safe_space_contribution", "author_id"): "Their named safe-space contributions",
    ("safe_space_insight", "drafted_by_id"): "Insights they drafted",
    ("safe_space_consent", "user_id"): "Their consents to insights",
    ("redaction", "requested_by_id"): "Redactions they asked for",
    ("redaction", "decided_by_id"): "Redactions they decided",
}
# (table, column) → why rows found through it are not exported.
LEFT_OUT: dict[tuple[str, str], str] = {
    ("notification", "actor_id"): (
        "another person's notification; what they did is exported from its own table"
    ),
}
# Columns never exported: hashes of secrets (passwords, link tokens, receipts) and of text,
# the words a redaction took out of sight (kept only so that an admin can undo it), and
# encrypted secrets (an authenticator's key).
SECRET_SUFFIX = "_hash"
HIDDEN_PREFIX = "hidden_"
ENCRYPTED_SUFFIX = "_encrypted"


def person_columns() -> list[tuple[str, str]]:
    """Every (table, column) in the schema that points at a person."""
    return sorted(
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == PERSON_TABLE
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value), "base64": base64.b64encode(value).decode()}
    return value


def _row(table: Table, row: Any) -> dict[str, Any]:
    return {
        name: _plain(value)
        for name, value in row._mapping.items()
        if not name.endswith((SECRET_SUFFIX, ENCRYPTED_SUFFIX))
        and not name.startswith(HIDDEN_PREFIX)
    }


@dataclass
class Export:
    """One person's data: sections of rows by heading, and when it was made."""

    person: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]]
    made_at: datetime

    @property
    def counts(self) -> dict[str, int]:
        """Rows under each heading."""
        return {heading: len(rows) for heading, rows in self.sections.items()}


def collect(person: User) -> Export:
    """Everything held about ``person``, one query per covered column."""
    users = db.metadata.tables[PERSON_TABLE]
    profile = db.session.execute(select(users).where(users.c.id == person.id)).one()
    sections: dict[str, list[dict[str, Any]]] = {}
    for table_name, column_name in sorted(COVERED, key=lambda k: COVERED[k]):
        table = db.metadata.tables[table_name]
        column: Column[Any] = table.c[column_name]
        condition = column == person.id
        if table_name == "safe_space_contribution":
            condition = and_(condition, table.c.anonymous.is_(False))
        if table_name == "audit_event":
            # The events about them as well as those by them.
            condition = or_(
                condition,
                and_(table.c.target_type == "user", table.c.target_id == str(person.id)),
            )
        order = list(table.primary_key.columns)
        rows = db.session.execute(select(table).where(condition).order_by(*order))
        heading = COVERED[(table_name, column_name)]
        if table_name == "audit_event":
            heading = "Audit events: what they did and what was done to them"
        sections.setdefault(heading, []).extend(_row(table, r) for r in rows)
    return Export(_row(users, profile), sections, utcnow())


def export_archive(actor: User, person: User) -> tuple[str, bytes]:
    """A zip of ``person``'s data for ``actor`` (an admin): ``data.json`` for machines and
    ``summary.html`` for people. Audited, with the counts and never the data."""
    require_manage(actor)
    export = collect(person)
    audit.record(actor, "user.data_exported", "user", person.id, rows=sum(export.counts.values()))
    db.session.flush()
    data = {
        "person": export.person,
        "made_at": export.made_at.isoformat(timespec="seconds") + "Z",
        "sections": export.sections,
        "not_included": [
            "anonymous safe-space contributions: nothing links them to anyone",
            *(f"{table}.{column}: {why}" for (table, column), why in sorted(LEFT_OUT.items())),
            "hashes of passwords, links, receipts and text (columns ending _hash)",
            "words taken out of sight by a redaction (columns starting hidden_)",
        ],
    }
    summary = render_template("dataprotection/summary.html", export=export)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("summary.html", summary)
    stamp = export.made_at.strftime("%Y-%m-%d")
    return f"personal-data-{person.id}-{stamp}.zip", buffer.getvalue()

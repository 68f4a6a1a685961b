"""The audit log's filters, read from the query string, and what they ask for."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from grid_app.audit import actions
from grid_app.audit.queries import AuditFilters
from grid_app.auth.models import User
from grid_app.grid.forms import choices

BAD_DATE = "Enter a real date, for example 2026-03-31."
TO_BEFORE_FROM = "The ‘to’ date must be the same as or after the ‘from’ date."


class AuditFilterForm(FlaskForm):
    """Narrow the audit log by person, action and dates.

    The person choices are filled in from everyone with an account; the action choices
    are the known actions (grid_app/audit/actions.py), shown in groups.
    """

    class Meta:
        csrf = False

    person = SelectField("Person", coerce=str, validate_choice=False)
    action = SelectField("Action", coerce=str, validate_choice=False)
    date_from = StringField("From")
    date_to = StringField("To")

    def fill_choices(self, people: list[User]) -> None:
        """Offer everyone with an account, and every known action."""
        self.person.choices = choices(
            [("", "Anyone")] + [(str(p.id), p.display_name) for p in people]
        )
        self.action.choices = choices(
            [("", "Any action")]
            + [(name, label) for _group, items in actions.grouped() for name, label in items]
        )

    def filters(self) -> AuditFilters | None:
        """What the form asks for, or None with a message beside each field that is wrong."""
        person = self.person.data or ""
        if person not in {c.value for c in self.person.choices or []}:
            self.person.errors = ["Choose a person from the list."]
        action = self.action.data or ""
        if action and action not in actions.ACTIONS:
            self.action.errors = ["Choose an action from the list."]
        since = _date(self.date_from)
        until = _date(self.date_to)
        if since and until and since > until:
            self.date_to.errors = [TO_BEFORE_FROM]
        if any(f.errors for f in (self.person, self.action, self.date_from, self.date_to)):
            return None
        return AuditFilters(
            person_id=int(person) if person else None,
            action=action,
            since=datetime.combine(since, time()) if since else None,
            until=datetime.combine(until + timedelta(days=1), time()) if until else None,
        )


def _date(field: StringField) -> date | None:
    raw = (field.data or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        value = None
    # Years far off are typing slips (and the day after 9999-12-31 cannot be counted to).
    if value is None or not 1900 <= value.year <= 9998:
        field.errors = [BAD_DATE]
        return None
    return value

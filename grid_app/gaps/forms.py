"""Forms for raising a gap flag, acting on one, and filtering the grid's list.

Lengths, owners and dates are checked by the service, so every caller gets the same rules.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from grid_app.gaps.models import SEVERITY_LABELS, STATUS_LABELS
from grid_app.grid.forms import VersionForm, choices

# "open-any" is every status that still needs work; "" is every flag.
STATUS_FILTERS = [
    ("open-any", "Open (any stage)"),
    *STATUS_LABELS.items(),
    ("", "Any status, closed ones too"),
]


class RaiseFlagForm(FlaskForm):
    """Flag a gap in a cell."""

    what_is_missing = TextAreaField("What is missing?")
    severity = StringField("How serious is it?")


class FlagActionForm(VersionForm):
    """A manager's next step on a flag: which one, a note, and an owner and due date when
    assigning."""

    step = StringField("Next step")
    note = TextAreaField("Note")
    owner = StringField("Owner")
    due_date = DateField("Due date (optional)", validators=[Optional()])

    def owner_id(self) -> int | None:
        """The chosen person's id; 0 (nobody) for anything that is not a number."""
        raw = (self.owner.data or "").strip()
        if not raw:
            return None
        return int(raw) if raw.isdigit() else 0


class FlagFilterForm(FlaskForm):
    """Narrow the grid's list of flags; read from the query string."""

    class Meta:
        csrf = False

    severity = SelectField(
        "Severity",
        choices=choices([("", "Any severity"), *SEVERITY_LABELS.items()]),
        validate_choice=False,
    )
    status = SelectField(
        "Status", choices=choices(STATUS_FILTERS), default="open-any", validate_choice=False
    )

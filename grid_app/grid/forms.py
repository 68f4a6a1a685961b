"""The cell form: text (or people), the version it started from, and a summary."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import abort
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional


class VersionForm(FlaskForm):
    """A change that only needs the version the person saw (restore, undo)."""

    version = HiddenField()

    def version_number(self) -> int | None:
        """The version the person saw, or None when the form was tampered with."""
        try:
            return int(self.version.data or "")
        except ValueError:
            return None

    def require_version(self) -> int:
        """The version the person saw; a form without one is refused (400)."""
        version = self.version_number()
        if version is None:
            abort(400, "The form was missing the version you started from. Reload and try again.")
        return version


class CellForm(VersionForm):
    """Edit a cell. Lengths are checked by the service so every caller gets the same rules."""

    text = TextAreaField("Text")
    owners = SelectMultipleField("People", coerce=int, validate_choice=False)
    summary = StringField("What did you change? (optional)")


class StructureForm(VersionForm):
    """Add, rename, move, archive or restore a service area or column."""

    action = HiddenField()
    target = HiddenField()
    name = StringField("Name")
    kind = StringField("Holds", default="text")


class FeedFilterForm(FlaskForm):
    """Narrow the activity feed; read from the query string."""

    class Meta:
        csrf = False

    person = SelectField("Person", coerce=str, validate_choice=False)
    row = SelectField("Service area", coerce=str, validate_choice=False)
    column = SelectField("Column", coerce=str, validate_choice=False)
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])


class AsOfForm(FlaskForm):
    """The moment to show the grid as it stood."""

    class Meta:
        csrf = False

    at = DateTimeLocalField("Date and time", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """Options for a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]

"""The cell form: text (or people), the version it started from, and a summary."""

from __future__ import annotations

import re
import secrets
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


# What a key made by ``new_save_key`` looks like; anything else is not honoured.
SAVE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_save_key() -> str:
    """A fresh random key for a form that saves, made as the form is drawn."""
    return secrets.token_urlsafe(24)


class SaveForm(VersionForm):
    """A change whose answer may be lost and the form sent again (a retry, a second click).

    It carries a key made when the form was drawn; the service answers a repeat of a save
    it already applied as it answered the first time.
    """

    save_key = HiddenField(default=new_save_key)

    def key(self) -> str | None:
        """The key the form was sent with; None when it came without one (or a malformed
        one), and then the save is not remembered."""
        sent = self.save_key.raw_data
        value = str(sent[0]) if sent else ""
        return value if SAVE_KEY.fullmatch(value) else None


class CellForm(SaveForm):
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

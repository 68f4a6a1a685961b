"""The cell form: text (or people), the version it started from, and a summary."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField


class CellForm(FlaskForm):
    """Edit a cell. Lengths are checked by the service so every caller gets the same rules."""

    text = TextAreaField("Text")
    owners = SelectMultipleField("People", coerce=int, validate_choice=False)
    summary = StringField("What did you change? (optional)")
    version = HiddenField()

    def version_number(self) -> int | None:
        """The version the person started from, or None when the form was tampered with."""
        try:
            return int(self.version.data or "")
        except ValueError:
            return None

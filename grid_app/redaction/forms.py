"""The reason given when asking for a redaction."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField


class RedactionForm(FlaskForm):
    """Why the words should be replaced (checked by the service)."""

    reason = TextAreaField("Why should it be redacted?")

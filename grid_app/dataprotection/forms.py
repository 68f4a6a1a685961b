"""The retention form: days for each kind of record (the service checks the ranges)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired


class DaysField(IntegerField):
    """A whole number of days, with a message a person can act on when it is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Read the number, or say what to type instead."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a whole number of days, like 90.") from error


def _days(label: str) -> DaysField:
    return DaysField(label, validators=[InputRequired("Enter a number of days.")])


class RetentionForm(FlaskForm):
    """Days to keep each kind of record."""

    audit_log = _days("Audit log")
    sign_ins = _days("Sign-in records")
    notifications = _days("Notifications")

"""The retention form: days for each kind of record (the service checks the ranges)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired


class RetentionForm(FlaskForm):
    """Days to keep each kind of record."""

    audit_log = IntegerField("Audit log", validators=[InputRequired("Enter a number of days.")])
    sign_ins = IntegerField(
        "Sign-in records", validators=[InputRequired("Enter a number of days.")]
    )
    notifications = IntegerField(
        "Notifications", validators=[InputRequired("Enter a number of days.")]
    )

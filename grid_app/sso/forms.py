"""The admin's form for how people sign in."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField


class PasswordsForm(FlaskForm):
    """Whether local passwords are off, and which admin keeps one (checked by the service)."""

    passwords_off = BooleanField("Switch off passwords for everyone but one admin")
    # A select drawn by the template from the active admins; the service checks the choice.
    break_glass = StringField("Admin who keeps a password (break-glass)")

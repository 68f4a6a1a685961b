"""Sign-in and profile forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignInForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=1000)]
    )
    next = StringField()


EMAIL_CHOICES = [
    ("immediate", "Straight away", "An email for each notification, as it happens."),
    ("daily", "Once a day", "One email each morning with what you have not read yet."),
    ("weekly", "Once a week", "One email each Monday with what you have not read yet."),
    ("none", "Never", "Only the bell in the app."),
]


class ProfileForm(FlaskForm):
    """How often the person wants their notifications by email (checked by the service)."""

    # Radios drawn from EMAIL_CHOICES by the template; the value is checked by the service.
    email_frequency = StringField("How often do you want your notifications by email?")

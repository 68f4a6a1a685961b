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


class ForgotPasswordForm(FlaskForm):
    """The address to send a link to."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Length(max=254)],
    )


# Long enough to hold any acceptable password; the service gives the real rules.
_NEW_PASSWORD_MAX = 1000


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the rules are checked by the service)."""

    password = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password."), Length(max=_NEW_PASSWORD_MAX)],
    )
    confirm_password = PasswordField(
        "Type the new password again",
        validators=[DataRequired("Type the new password again."), Length(max=_NEW_PASSWORD_MAX)],
    )


class ChangePasswordForm(NewPasswordForm):
    """The current password, then the new one twice."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=_NEW_PASSWORD_MAX)],
    )


class ChangeEmailForm(FlaskForm):
    """A new email address and the current password (the address is checked by the service)."""

    new_email = EmailField(
        "New email address",
        validators=[DataRequired("Enter your new email address."), Length(max=254)],
    )
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=_NEW_PASSWORD_MAX)],
    )


class AcceptInvitationForm(NewPasswordForm):
    """Joining: a name, then a new password typed twice (the rules are the service's)."""

    display_name = StringField(
        "Your name", validators=[DataRequired("Enter your name."), Length(max=1000)]
    )


class SessionsForm(FlaskForm):
    """One's password again, before signing any browser out (the service checks it)."""

    current_password = PasswordField(
        "Password, to confirm it is you",
        validators=[DataRequired("Enter your password."), Length(max=1000)],
    )


class CodeForm(FlaskForm):
    """A code from an authenticator app, or a recovery code (checked by the service)."""

    code = StringField("Code", validators=[Length(max=100)])
    next = StringField()


class ConfirmForm(FlaskForm):
    """Proving who one is again before a sensitive action: a password or an app code."""

    password = PasswordField("Password", validators=[Length(max=1000)])
    code = StringField("Code", validators=[Length(max=100)])
    resume = StringField()

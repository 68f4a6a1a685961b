"""The People list's filters and the role checkboxes.

Which roles exist, and who may hold them, is checked by the service.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from grid_app.auth.models import Role
from grid_app.grid.forms import choices
from grid_app.people.queries import ACTIVE, DEACTIVATED, INVITED

ROLE_LABELS = {
    Role.CONTRIBUTOR.value: "Contributor",
    Role.MANAGER.value: "Manager",
    Role.FACILITATOR.value: "Facilitator",
    Role.ADMIN.value: "Admin",
}
ROLE_HINTS = {
    Role.CONTRIBUTOR.value: "Edits cells, flags gaps and comments.",
    Role.MANAGER.value: "Sees the dashboard, triages gap flags, exports and imports.",
    Role.FACILITATOR.value: "Runs safe-space sessions.",
    Role.ADMIN.value: "Shapes the grid and looks after people.",
}
STATUSES = {ACTIVE: "Active", INVITED: "Invited", DEACTIVATED: "Deactivated"}


class PeopleFilterForm(FlaskForm):
    """Narrow the People list; read from the query string."""

    class Meta:
        csrf = False

    q = StringField(
        "Name or email address", validators=[Length(max=254, message="Type up to 254 characters.")]
    )
    role = SelectField(
        "Role",
        choices=choices([("", "Any role"), *ROLE_LABELS.items()]),
        default="",
    )
    status = SelectField(
        "Status",
        choices=choices([("", "Active or not"), *STATUSES.items()]),
        default="",
    )


class RolesForm(FlaskForm):
    """The roles a person should hold, and the roles the page showed when it was opened."""

    roles = SelectMultipleField(
        "Roles", choices=choices(ROLE_LABELS.items()), validate_choice=False
    )
    roles_seen = StringField()

    def seen(self) -> list[str]:
        """The roles the admin saw, as the page sent them."""
        return [r for r in (self.roles_seen.data or "").split(",") if r]


class InviteForm(FlaskForm):
    """One person to invite: address, roles, and a name if it is known."""

    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter the email address of the person to invite.")],
    )
    display_name = StringField("Name (optional)")
    roles = SelectMultipleField(
        "Roles", choices=choices(ROLE_LABELS.items()), validate_choice=False
    )


class BulkInviteForm(FlaskForm):
    """A pasted list or a CSV file, and the roles for rows that name none."""

    addresses = TextAreaField("Addresses, one a line")
    file = FileField("Or upload a CSV file")
    roles = SelectMultipleField(
        "Roles for everyone", choices=choices(ROLE_LABELS.items()), validate_choice=False
    )


class BulkConfirmForm(FlaskForm):
    """The rows a preview planned, carried back as CSV to be checked again and sent."""

    rows = TextAreaField()


class ManagersInviteForm(FlaskForm):
    """Whether managers may invite people."""

    allowed = BooleanField("Managers can invite people (never as admins)")


class AccountRequestForm(FlaskForm):
    """Addresses a facilitator wants accounts for, and why."""

    addresses = TextAreaField(
        "Email addresses",
        validators=[DataRequired("Enter the email address of at least one person.")],
    )
    reason = TextAreaField("Why they need an account (optional)")


class EraseForm(FlaskForm):
    """Confirm an erasure by typing the person's email address again."""

    confirm = StringField("Their email address", validators=[Length(max=254)])

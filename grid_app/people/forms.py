"""The People list's filters and the role checkboxes.

Which roles exist, and who may hold them, is checked by the service.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import Length

from grid_app.auth.models import Role
from grid_app.grid.forms import choices
from grid_app.people.queries import ACTIVE, DEACTIVATED

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
STATUSES = {ACTIVE: "Active", DEACTIVATED: "Deactivated"}


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

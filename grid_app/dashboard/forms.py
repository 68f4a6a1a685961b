"""The dashboard's forms: narrowing its lists (query string) and the review period."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from grid_app.dashboard.queries import NO_OWNER, FlagSort
from grid_app.gaps.models import SEVERITY_LABELS
from grid_app.grid.forms import choices

SORT_LABELS = {
    FlagSort.SEVERITY.value: "Most severe first",
    FlagSort.AGE.value: "Oldest first",
    FlagSort.OWNER.value: "Owner",
    FlagSort.DUE.value: "Due date, soonest first",
}


class ListFilterForm(FlaskForm):
    """Narrow the dashboard's lists; read from the query string.

    Service area, column and owner choices are filled in by the view from the grid.
    """

    class Meta:
        csrf = False

    row = SelectField("Service area", coerce=str, validate_choice=False)
    column = SelectField("Column", coerce=str, validate_choice=False)
    owner = SelectField("Owner", coerce=str, validate_choice=False)
    severity = SelectField(
        "Severity",
        coerce=str,
        choices=choices([("", "Any severity"), *SEVERITY_LABELS.items()]),
        validate_choice=False,
    )
    sort = SelectField(
        "Order open flags by",
        coerce=str,
        choices=choices(SORT_LABELS.items()),
        default=FlagSort.SEVERITY.value,
        validate_choice=False,
    )


class ReviewPeriodForm(FlaskForm):
    """How many days a cell may go unreviewed before it is stale."""

    days = StringField("Review period (days)")


NO_OWNER_CHOICE = (NO_OWNER, "Nobody")

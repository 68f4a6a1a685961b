"""Forms for importing a spreadsheet, applying its preview, the sharing document and tags."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, StringField

from grid_app.grid.forms import choices


class ImportForm(FlaskForm):
    """Upload a spreadsheet to update this grid or to start a new one."""

    file = FileField("Spreadsheet (.xlsx or .csv)")
    target = RadioField(
        "Import into",
        choices=choices([("this", "This grid"), ("new", "A new grid")]),
        default="this",
        validate_choice=False,
    )
    new_grid_name = StringField("Name of the new grid")


class ApplyForm(FlaskForm):
    """Apply a previewed import; ``base`` is the grid's state the preview showed."""

    base = HiddenField()


class SharingForm(FlaskForm):
    """The authority's name for the sharing-practice document; read from the query string."""

    class Meta:
        csrf = False

    authority = StringField("Name of your authority")


class CategoriesForm(FlaskForm):
    """Tag service areas with sharing categories; the checkboxes are read by name."""

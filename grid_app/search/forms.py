"""The search form: the words, then what to narrow them to; read from the query string."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional

# Long enough for any question worth asking; longer is a paste gone wrong.
MAX_TYPED = 200


class SearchForm(FlaskForm):
    """Search words and filters."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Length(max=MAX_TYPED)])
    grid = SelectField("Grid", coerce=str, validate_choice=False)
    row = SelectField("Service area", coerce=str, validate_choice=False)
    column = SelectField("Column", coerce=str, validate_choice=False)
    kind = SelectField("Kind", coerce=str, validate_choice=False)
    person = SelectField("Person", coerce=str, validate_choice=False)
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    history = BooleanField("Include earlier versions of cells")
    sort = SelectField("Sort by", coerce=str, validate_choice=False)

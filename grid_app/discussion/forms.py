"""Forms for commenting, replying and editing a comment.

Lengths and who may reply to what are checked by the service, so every caller gets the
same rules.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField

from grid_app.grid.forms import VersionForm


class CommentForm(FlaskForm):
    """Start a thread on a cell, or reply to one."""

    body = TextAreaField("Comment")


class EditCommentForm(VersionForm):
    """Change the wording of one's own comment, from the version the person saw."""

    body = TextAreaField("Comment")

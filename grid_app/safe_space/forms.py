"""Forms for sessions. They only carry what was typed; the service checks it, so the
command line and the web get the same rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from grid_app.safe_space.service import SessionFields


class SessionForm(FlaskForm):
    """A session's settings and who is invited."""

    title = StringField("Title")
    # Shown and typed as the hint says, "2027-01-14 10:00"; the "T" of the stored form goes.
    starts_at = StringField(
        "Date and time", filters=[lambda value: value.replace("T", " ", 1) if value else value]
    )
    ground_rules = TextAreaField("Ground rules")
    signposting = TextAreaField("Signposting to support")
    retention_days = StringField("Keep raw contributions for (days after closing)")
    invitees = TextAreaField("People invited")

    def fields(self) -> SessionFields:
        """What was typed, for the service."""
        return SessionFields(
            title=self.title.data or "",
            starts_at=self.starts_at.data or "",
            ground_rules=self.ground_rules.data or "",
            signposting=self.signposting.data or "",
            retention_days=self.retention_days.data or "",
            invitees=self.invitees.data or "",
        )


class TemplateForm(FlaskForm):
    """The default ground rules and signposting."""

    ground_rules = TextAreaField("Default ground rules")
    signposting = TextAreaField("Default signposting to support")


class ContributionForm(FlaskForm):
    """What a participant says, and whether their name goes with it."""

    body = TextAreaField("Your contribution")
    # "y" anonymous, "n" named; anything else is no choice, which the service refuses.
    anonymous = StringField("Your name with it?")

    def anonymous_choice(self) -> bool | None:
        """True for anonymous, False for named, None when the person has not chosen."""
        return {"y": True, "n": False}.get(self.anonymous.data or "")


class ReceiptForm(FlaskForm):
    """A receipt code, to withdraw an anonymous contribution."""

    code = StringField("Receipt code")


class ThemeForm(FlaskForm):
    """A theme's name and working notes."""

    name = StringField("Theme name")
    notes = TextAreaField("Notes (only you see these; deleted at the purge)")


class InsightForm(FlaskForm):
    """An insight's wording and the theme it sums up."""

    theme = StringField("Theme")
    text = TextAreaField("Insight")


class GroupConsentForm(FlaskForm):
    """How the group agreed."""

    note = StringField("How did the group agree?")


class PromoteForm(FlaskForm):
    """Where the insight goes."""

    cell = StringField("Cell")


def int_or_none(raw: str | None) -> int | None:
    """A chosen id from a form, or None for nothing or nonsense."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None

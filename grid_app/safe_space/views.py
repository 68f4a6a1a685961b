"""Safe-space sessions on the web. Like every page, nothing here is cached (web/security.py);
htmx keeps no snapshot (templates/safe_space/_layout.html), and every page that shows
contributions is audited as a read."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask import Response as FlaskResponse
from flask import session as browser_session
from flask_limiter import RequestLimit
from flask_login import current_user
from werkzeug import Response

from grid_app.errors import Invalid, NotFound
from grid_app.extensions import keyed_digest, limiter
from grid_app.grid import queries as grid_queries
from grid_app.safe_space import queries, service
from grid_app.safe_space.forms import (
    ContributionForm,
    GroupConsentForm,
    InsightForm,
    PromoteForm,
    ReceiptForm,
    SessionForm,
    TemplateForm,
    ThemeForm,
    int_or_none,
)
from grid_app.safe_space.models import Contribution, Insight, SafeSpaceSession, Theme
from grid_app.web import htmx, reauth
from grid_app.web.writes import commit, write

bp = Blueprint("safe_space", __name__, url_prefix="/safe-space")
RECEIPT_KEY = "safe_space_receipt"


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"can_facilitate": service.can_facilitate}


@bp.context_processor
def _sealing() -> dict[str, Any]:
    return {"seal_after": current_app.config["SEAL_AFTER_MINUTES"]}


def _meeting(session_id: int) -> SafeSpaceSession:
    meeting = queries.meeting_by_id(session_id)
    service.check_access(current_user, meeting)
    return meeting


def _back(meeting: SafeSpaceSession, anchor: str | None = None) -> Response:
    return htmx.redirect_after_post(
        url_for("safe_space.show", session_id=meeting.id, _anchor=anchor)
    )


# --- Sessions ----------------------------------------------------------------------------


@bp.get("/")
def index() -> Response:
    """The sessions a person holds or is invited to."""
    return htmx.render("safe_space/index.html", listings=queries.meetings_for(current_user))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Response:
    """Create a session, starting from the default ground rules."""
    service.require_can_create(current_user)
    form = SessionForm()
    if request.method == "GET":
        defaults = service.template()
        form.ground_rules.data, form.signposting.data = defaults.ground_rules, defaults.signposting
        form.retention_days.data = str(service.RETENTION_DEFAULT)
        return htmx.render("safe_space/settings.html", form=form, meeting=None)

    def created(meeting: SafeSpaceSession) -> Response:
        flash("The session was created and the people invited can now open it.", "success")
        return _back(meeting)

    return write(
        lambda: service.create_meeting(current_user, form.fields()),
        created,
        form=form,
        invalid=lambda error: htmx.render(
            "safe_space/settings.html", status=422, form=form, meeting=None, error=error.message
        ),
    )


@bp.route("/template", methods=["GET", "POST"])
def template() -> Response:
    """The default ground rules and signposting new sessions start from."""
    service.require_template_editor(current_user)
    form = TemplateForm()
    if request.method == "GET":
        current = service.template()
        form.ground_rules.data, form.signposting.data = current.ground_rules, current.signposting
        return htmx.render("safe_space/template.html", form=form)

    def saved(_: None) -> Response:
        flash("The default ground rules were saved. New sessions start from them.", "success")
        return htmx.redirect_after_post(url_for("safe_space.index"))

    return write(
        lambda: service.save_template(
            current_user,
            ground_rules=form.ground_rules.data or "",
            signposting=form.signposting.data or "",
        ),
        saved,
        form=form,
        invalid=lambda error: htmx.render(
            "safe_space/template.html", status=422, form=form, error=error.message
        ),
    )


@bp.get("/<int:session_id>")
def show(session_id: int) -> Response:
    """The session: ground rules, signposting, and (once joined) its contributions."""
    meeting = _meeting(session_id)
    return _show(meeting)


def _show(
    meeting: SafeSpaceSession, status: int = 200, fragment: str | None = None, **context: Any
) -> Response:
    view = queries.meeting_view(current_user, meeting)
    defaults: dict[str, Any] = {
        "picked": (),
        "contribution_form": ContributionForm(formdata=None),
        "theme_form": ThemeForm(formdata=None),
        "insight_form": InsightForm(formdata=None),
    }
    response = htmx.render(
        "safe_space/show.html",
        fragment,
        status=status,
        view=view,
        meeting=meeting,
        count=queries.contribution_count(meeting),
        waiting=service.waiting_count(meeting) if view.facilitating else 0,
        reopen_until=service.reopen_until(meeting, current_app.config["SESSION_REOPEN_HOURS"])
        if view.facilitating
        else None,
        **{**defaults, **context},
    )
    if view.joined:
        # Audited once the page is rendered: committing earlier would expire every row shown.
        commit(lambda: service.record_read(current_user, meeting))
    return response


@bp.route("/<int:session_id>/settings", methods=["GET", "POST"])
def settings(session_id: int) -> Response:
    """Change a session's title, time, ground rules, signposting, retention and invitations."""
    meeting = _meeting(session_id)
    service.require_facilitator(current_user, meeting)
    form = SessionForm()
    if request.method == "GET":
        form.process(data=vars(service.meeting_fields(meeting)))
        return htmx.render("safe_space/settings.html", form=form, meeting=meeting)

    def saved(_: object) -> Response:
        flash("The session's settings were saved.", "success")
        return _back(meeting)

    return write(
        lambda: service.update_meeting(current_user, meeting, form.fields()),
        saved,
        form=form,
        invalid=lambda error: htmx.render(
            "safe_space/settings.html",
            status=422,
            form=form,
            meeting=queries.meeting_by_id(session_id),
            error=error.message,
        ),
    )


@bp.post("/<int:session_id>/accept")
def accept(session_id: int) -> Response:
    """Accept the ground rules and join the session."""
    meeting = _meeting(session_id)

    def joined(_: object) -> Response:
        flash("Thank you. You have joined the session.", "success")
        return _back(meeting, "contribute")

    return write(lambda: service.accept_rules(current_user, meeting), joined)


@bp.get("/<int:session_id>/close")
def confirm_close(session_id: int) -> Response:
    """Ask the facilitator to confirm closing: a page, so it works without JavaScript."""
    meeting = _meeting(session_id)
    service.require_facilitator(current_user, meeting)
    if not meeting.is_open:
        return htmx.redirect_after_post(url_for("safe_space.show", session_id=session_id))
    return htmx.render(
        "safe_space/close.html",
        meeting=meeting,
        reopen_hours=current_app.config["SESSION_REOPEN_HOURS"],
    )


@bp.post("/<int:session_id>/close")
def close(session_id: int) -> Response:
    """Close the session to contributions; the retention period starts."""
    meeting = _meeting(session_id)

    def closed(_: object) -> Response:
        flash(
            f"The session is closed. Raw contributions will be purged after "
            f"{meeting.retention_days} days.",
            "success",
        )
        return _back(meeting)

    return write(lambda: service.close_meeting(current_user, meeting), closed)


@bp.post("/<int:session_id>/reopen")
def reopen(session_id: int) -> Response:
    """Open a session closed by mistake again, within SESSION_REOPEN_HOURS of closing."""
    meeting = _meeting(session_id)

    def reopened(_: object) -> Response:
        flash("The session is open again for contributions.", "success")
        return _back(meeting)

    return write(
        lambda: service.reopen_meeting(
            current_user, meeting, reopen_hours=current_app.config["SESSION_REOPEN_HOURS"]
        ),
        reopened,
    )


# --- Contributions -----------------------------------------------------------------------


def _contributor_key() -> str:
    # A keyed hash of person and session: the limiter's store never holds who added to which
    # session (named or anonymous), and cannot be read back without the app's secret.
    session_id = request.view_args.get("session_id") if request.view_args else ""
    return "contribute:" + keyed_digest(f"{current_user.get_id()}:{session_id}")


def _too_many(_limit: RequestLimit) -> FlaskResponse:
    # What the person typed stays in the form; the limit resets within the hour.
    return cast(
        FlaskResponse,
        _show(
            queries.meeting_by_id(int((request.view_args or {})["session_id"])),
            status=429,
            contribution_form=ContributionForm(),
            contribution_error="You have added as many contributions to this session as one "
            "person can in an hour. What you wrote is still here: try again later.",
        ),
    )


@bp.post("/<int:session_id>/contributions")
@limiter.limit(
    lambda: current_app.config["CONTRIBUTION_LIMIT_PER_PERSON"],
    key_func=_contributor_key,
    on_breach=_too_many,
)
def contribute(session_id: int) -> Response:
    """Add a contribution. An anonymous one answers with its receipt code, shown once."""
    meeting = _meeting(session_id)
    form = ContributionForm()

    def added(result: tuple[object, str | None]) -> Response:
        receipt = result[1]
        if receipt is not None:
            # Shown on the next page once, then forgotten: a reload cannot post it twice.
            browser_session[RECEIPT_KEY] = receipt
            return htmx.redirect_after_post(url_for("safe_space.receipt", session_id=session_id))
        flash("Your contribution was added, with your name.", "success")
        return _back(meeting, "contributions")

    return write(
        lambda: service.add_contribution(
            current_user, meeting, body=form.body.data or "", anonymous=form.anonymous_choice()
        ),
        added,
        form=form,
        invalid=lambda error: _show(
            queries.meeting_by_id(session_id),
            status=422,
            contribution_form=form,
            contribution_error=error.message,
        ),
    )


@bp.get("/<int:session_id>/receipt")
def receipt(session_id: int) -> Response:
    """The receipt code of the anonymous contribution just added, shown this once."""
    meeting = _meeting(session_id)
    return htmx.render(
        "safe_space/receipt.html", meeting=meeting, receipt=browser_session.pop(RECEIPT_KEY, None)
    )


def _contribution(session_id: int, key: str) -> tuple[SafeSpaceSession, Contribution]:
    meeting = _meeting(session_id)
    return meeting, queries.part_of(meeting.id, Contribution, key)


@bp.route("/<int:session_id>/contributions/<key>/edit", methods=["GET", "POST"])
def edit_contribution(session_id: int, key: str) -> Response:
    """Change one's own named contribution while the session is open."""
    meeting, contribution = _contribution(session_id, key)
    form = ContributionForm(data={"body": contribution.body})
    if request.method == "GET":
        service.require_own_named(current_user, contribution)
        return htmx.render("safe_space/edit.html", meeting=meeting, item=contribution, form=form)

    def edited(_: None) -> Response:
        flash("Your contribution was changed.", "success")
        return _back(meeting, "contributions")

    def invalid(error: Invalid) -> Response:
        current, item = _contribution(session_id, key)
        return htmx.render(
            "safe_space/edit.html",
            status=422,
            meeting=current,
            item=item,
            form=form,
            error=error.message,
        )

    return write(
        lambda: service.edit_contribution(current_user, contribution, form.body.data or ""),
        edited,
        form=form,
        invalid=invalid,
    )


@bp.route("/<int:session_id>/contributions/<key>/withdraw", methods=["GET", "POST"])
def withdraw_contribution(session_id: int, key: str) -> Response:
    """Withdraw one's own named contribution (after a confirmation): its text is deleted."""
    meeting, contribution = _contribution(session_id, key)
    if request.method == "GET":
        service.require_own_named(current_user, contribution)
        return htmx.render("safe_space/withdraw_named.html", meeting=meeting, item=contribution)

    def withdrawn(_: object) -> Response:
        flash("Your contribution was withdrawn and its text deleted.", "success")
        return _back(meeting, "contributions")

    return write(lambda: service.withdraw_contribution(current_user, contribution), withdrawn)


def _receipt_key() -> str:
    return f"receipt:{request.view_args.get('session_id') if request.view_args else ''}"


@bp.route("/<int:session_id>/withdraw", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RECEIPT_LIMIT_PER_SESSION"], methods=["POST"], key_func=_receipt_key
)
def withdraw_by_receipt(session_id: int) -> Response:
    """Withdraw an anonymous contribution with its receipt code."""
    meeting = _meeting(session_id)
    form = ReceiptForm()
    if request.method == "GET":
        return htmx.render("safe_space/withdraw.html", meeting=meeting, form=form)

    def withdrawn(_: object) -> Response:
        flash("The contribution was withdrawn and its text deleted.", "success")
        return _back(meeting)

    return write(
        lambda: service.withdraw_by_receipt(current_user, meeting, form.code.data or ""),
        withdrawn,
        form=form,
        invalid=lambda error: htmx.render(
            "safe_space/withdraw.html",
            status=422,
            meeting=queries.meeting_by_id(session_id),
            form=form,
            error=error.message,
        ),
    )


@bp.post("/<int:session_id>/contributions/<key>/moderate")
def moderate(session_id: int, key: str) -> Response:
    """Hide a contribution from the other participants, or show it again."""
    meeting, contribution = _contribution(session_id, key)
    return write(
        lambda: service.set_hidden(current_user, contribution, request.form.get("hidden") == "1"),
        lambda _: _board_or_back(meeting, key),
    )


def _board_or_back(meeting: SafeSpaceSession, key: str) -> Response:
    """After a change on the board: the board for htmx, else back to the contribution."""
    if htmx.wants_fragment():
        return _show(meeting, fragment="safe_space/_board.html")
    return _back(meeting, f"contribution-{key}")


@bp.post("/<int:session_id>/contributions/theme")
def move(session_id: int) -> Response:
    """Put the selected contributions under a theme (or under none)."""
    meeting = _meeting(session_id)
    keys = request.form.getlist("contribution")
    theme_id = int_or_none(request.form.get("theme"))

    def moved(count: int) -> Response:
        if htmx.wants_fragment():
            return _show(meeting, fragment="safe_space/_board.html")
        flash(f"{count} contribution{' was' if count == 1 else 's were'} moved.", "success")
        return _back(meeting, "contributions")

    return write(
        lambda: service.move_contributions(current_user, meeting, keys, theme_id),
        moved,
        invalid=lambda error: _show(
            queries.meeting_by_id(session_id),
            422,
            "safe_space/_board.html" if htmx.wants_fragment() else None,
            move_errors=error.field_errors,
            picked=set(keys),
            moved_to=theme_id,
        ),
    )


@bp.post("/<int:session_id>/seal")
def seal(session_id: int) -> Response:
    """Add the waiting anonymous contributions to the board, together and shuffled."""
    meeting = _meeting(session_id)

    def sealed(count: int) -> Response:
        flash(
            f"{count} anonymous contribution{' was' if count == 1 else 's were'} added to "
            "the board."
            if count
            else "No anonymous contribution was waiting.",
            "success",
        )
        return _back(meeting, "contributions")

    return write(lambda: service.seal_meeting(current_user, meeting), sealed)


# --- Themes ------------------------------------------------------------------------------


@bp.post("/<int:session_id>/themes")
def create_theme(session_id: int) -> Response:
    """Start a theme."""
    meeting = _meeting(session_id)
    form = ThemeForm()
    return write(
        lambda: service.create_theme(current_user, meeting, form.name.data or ""),
        lambda theme: _back(meeting, f"theme-{theme.id}"),
        form=form,
        invalid=lambda _error: _show(
            queries.meeting_by_id(session_id), status=422, theme_form=form
        ),
    )


@bp.route("/<int:session_id>/themes/<int:theme_id>", methods=["GET", "POST"])
def theme(session_id: int, theme_id: int) -> Response:
    """Rename a theme, keep notes on it, or merge it into another."""
    meeting = _meeting(session_id)
    service.require_facilitator(current_user, meeting)
    item = queries.part_of(meeting.id, Theme, theme_id)
    form = ThemeForm(data={"name": item.name, "notes": item.notes})
    if request.method == "GET":
        return _theme_page(meeting, item, form)

    def saved(_: object) -> Response:
        flash("The theme was saved.", "success")
        return _back(meeting, f"theme-{theme_id}")

    def invalid(error: Invalid) -> Response:
        current = queries.meeting_by_id(session_id)
        theme = queries.part_of(current.id, Theme, theme_id)
        return _theme_page(current, theme, form, 422, error=error.message)

    return write(
        lambda: service.update_theme(
            current_user, item, name=form.name.data or "", notes=form.notes.data or ""
        ),
        saved,
        form=form,
        invalid=invalid,
    )


def _theme_page(
    meeting: SafeSpaceSession, item: Theme, form: ThemeForm, status: int = 200, **context: Any
) -> Response:
    return htmx.render(
        "safe_space/theme.html",
        status=status,
        meeting=meeting,
        item=item,
        form=form,
        others=[t for t in queries.themes(meeting) if t.id != item.id],
        **context,
    )


@bp.post("/<int:session_id>/themes/<int:theme_id>/merge")
def merge_theme(session_id: int, theme_id: int) -> Response:
    """Fold a theme into another."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Theme, theme_id)

    def merged(into: Theme) -> Response:
        flash(f"The themes were merged into “{into.name}”.", "success")
        return _back(meeting, f"theme-{into.id}")

    def invalid(error: Invalid) -> Response:
        current = queries.meeting_by_id(session_id)
        theme = queries.part_of(current.id, Theme, theme_id)
        form = ThemeForm(formdata=None, data={"name": theme.name, "notes": theme.notes})
        return _theme_page(current, theme, form, 422, merge_error=_first(error))

    return write(
        lambda: service.merge_theme(current_user, item, int_or_none(request.form.get("into"))),
        merged,
        invalid=invalid,
    )


# --- Insights ----------------------------------------------------------------------------


@bp.post("/<int:session_id>/insights")
def draft_insight(session_id: int) -> Response:
    """Draft an insight from a theme."""
    meeting = _meeting(session_id)
    form = InsightForm()

    def drafted(insight: Insight) -> Response:
        flash("The insight was drafted. Ask the people it draws on to agree to it.", "success")
        return _to_insight(meeting, insight)

    return write(
        lambda: service.draft_insight(
            current_user, meeting, int_or_none(form.theme.data), form.text.data or ""
        ),
        drafted,
        form=form,
        invalid=lambda _error: _show(
            queries.meeting_by_id(session_id), status=422, insight_form=form
        ),
    )


@bp.route("/<int:session_id>/insights/<int:insight_id>", methods=["GET", "POST"])
def insight(session_id: int, insight_id: int) -> Response:
    """An insight: its wording, who has agreed, and promotion into the grid."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    form = InsightForm(data={"text": item.text})
    if request.method == "GET":
        return _insight_page(meeting, item, text_form=form)

    def reworded(_: None) -> Response:
        flash("The insight was reworded. Everyone's agreement is needed again.", "success")
        return _to_insight(meeting, item)

    return write(
        lambda: service.edit_insight(current_user, item, form.text.data or ""),
        reworded,
        form=form,
        invalid=lambda error: _refused_insight(
            session_id, insight_id, text_form=form, error=error.message
        ),
    )


def _insight_page(
    meeting: SafeSpaceSession, item: Insight, status: int = 200, **context: Any
) -> Response:
    facilitating = service.is_facilitator_of(current_user, meeting)
    defaults: dict[str, Any] = {
        "text_form": InsightForm(formdata=None, data={"text": item.text}),
        "group_form": GroupConsentForm(formdata=None),
        "promote_form": PromoteForm(formdata=None),
    }
    return htmx.render(
        "safe_space/insight.html",
        status=status,
        meeting=meeting,
        item=item,
        state=service.consent_state(item),
        facilitating=facilitating,
        cells=queries.cell_choices() if facilitating else [],
        **{**defaults, **context},
    )


def _refused_insight(session_id: int, insight_id: int, **context: Any) -> Response:
    meeting = queries.meeting_by_id(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    return _insight_page(meeting, item, 422, **context)


def _to_insight(meeting: SafeSpaceSession, item: Insight) -> Response:
    return htmx.redirect_after_post(
        url_for("safe_space.insight", session_id=meeting.id, insight_id=item.id)
    )


@bp.post("/<int:session_id>/insights/<int:insight_id>/consent")
def consent(session_id: int, insight_id: int) -> Response:
    """A named contributor agrees to the insight, or refuses or withdraws agreement."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    decision = request.form.get("decision")
    if decision not in ("agree", "refuse"):
        abort(400, "Choose whether you agree.")

    def decided(_: object) -> Response:
        flash(
            "Thank you: your agreement was recorded."
            if decision == "agree"
            else "Recorded: you do not agree. The insight cannot be promoted with your words.",
            "success",
        )
        return _to_insight(meeting, item)

    return write(
        lambda: service.decide_consent(current_user, item, decision == "agree"),
        decided,
        invalid=lambda error: _refused_insight(session_id, insight_id, consent_error=error.message),
    )


@bp.post("/<int:session_id>/insights/<int:insight_id>/group-consent")
def group_consent(session_id: int, insight_id: int) -> Response:
    """The facilitator records the group's agreement (for anonymous contributions)."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    form = GroupConsentForm()

    def recorded(_: object) -> Response:
        flash("The group's agreement was recorded.", "success")
        return _to_insight(meeting, item)

    return write(
        lambda: service.record_group_consent(current_user, item, form.note.data or ""),
        recorded,
        form=form,
        invalid=lambda error: _refused_insight(
            session_id, insight_id, group_form=form, group_error=error.message
        ),
    )


@bp.post("/<int:session_id>/insights/<int:insight_id>/promote")
def promote(session_id: int, insight_id: int) -> Response:
    """Put the insight into a grid cell, as a revision of kind "insight"."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    form = PromoteForm()
    cell_id = int_or_none(form.cell.data)
    try:
        cell = grid_queries.cell_by_id(cell_id) if cell_id else None
    except NotFound:
        cell = None  # answered as bad input by the service

    def promoted(_: object) -> Response:
        flash("The insight is in the grid now.", "success")
        return _to_insight(meeting, item)

    return write(
        lambda: service.promote(current_user, item, cell),
        promoted,
        form=form,
        invalid=lambda error: _refused_insight(
            session_id, insight_id, promote_form=form, promote_error=error.message
        ),
    )


@bp.post("/<int:session_id>/insights/<int:insight_id>/reviewed")
def reviewed(session_id: int, insight_id: int) -> Response:
    """The facilitator has looked again at an insight whose consent changed."""
    meeting = _meeting(session_id)
    item = queries.part_of(meeting.id, Insight, insight_id)
    return write(
        lambda: service.mark_reviewed(current_user, item), lambda _: _to_insight(meeting, item)
    )


# --- Summary -----------------------------------------------------------------------------


@bp.get("/<int:session_id>/summary.md")
def summary(session_id: int) -> Response:
    """The session's summary as Markdown: themes, counts and insights; what was said only
    when the facilitator asks for it."""
    meeting = _meeting(session_id)
    include_raw = request.args.get("raw") == "1"
    if include_raw:
        service.require_facilitator(current_user, meeting)
        if meeting.is_purged:
            abort(404, "What was said has been purged; only the summary is left.")
        held = reauth.hold_back("download what was said in this session")
        if held:
            return held

    def export() -> str:
        # The read is audited in the same transaction that reads what was said.
        if include_raw:
            service.record_read(current_user, meeting, what="summary with contributions")
        return queries.summary_markdown(current_user, meeting, include_raw=include_raw)

    body = commit(export)
    response = make_response(body)
    response.mimetype = "text/markdown"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="safe-space-session-{meeting.id}-summary.md"'
    )
    return response


def _first(error: Invalid) -> str:
    return next(iter(error.field_errors.values()), error.message)

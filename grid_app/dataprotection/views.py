"""Public notices (accessibility, privacy), and the admins' record of processing, retention
settings and subject access export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, render_template, url_for
from flask_login import current_user
from werkzeug import Response

from grid_app.dataprotection import access, service
from grid_app.dataprotection.forms import RetentionForm
from grid_app.errors import Invalid
from grid_app.people import queries as people_queries
from grid_app.web import htmx
from grid_app.web.writes import write

bp = Blueprint("dataprotection", __name__)


@bp.app_context_processor
def _footer() -> dict[str, Any]:
    return {
        "can_manage_data_protection": current_user.is_authenticated
        and service.can_manage(current_user)
    }


def _contacts() -> dict[str, Any]:
    config = current_app.config
    return {
        "authority": config["AUTHORITY_NAME"],
        "contact_email": config["CONTACT_EMAIL"],
        "dpo_email": config["DPO_EMAIL"],
    }


@bp.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement, readable without signing in."""
    return render_template("dataprotection/accessibility.html", **_contacts())


@bp.get("/privacy")
def privacy() -> str:
    """The privacy notice, readable without signing in."""
    return render_template(
        "dataprotection/privacy.html", kinds=service.KINDS, keep=service.retention(), **_contacts()
    )


@bp.get("/record-of-processing")
def record() -> str:
    """The record of processing activities (UK GDPR Art. 30), for the data protection officer."""
    service.require_manage(current_user)
    return render_template(
        "dataprotection/record.html", kinds=service.KINDS, keep=service.retention(), **_contacts()
    )


def _retention_page(form: RetentionForm, status: int = 200, **extra: Any) -> Response:
    return htmx.render(
        "dataprotection/retention.html",
        "dataprotection/_retention_form.html",
        status=status,
        form=form,
        kinds=service.KINDS,
        maximum=service.MAXIMUM_DAYS,
        **extra,
    )


@bp.get("/retention")
def retention() -> Response:
    """How long each kind of record is kept, with the form to change it."""
    service.require_manage(current_user)
    return _retention_page(RetentionForm(formdata=None, data=service.retention()))


@bp.post("/retention")
def save_retention() -> Response:
    """Change the retention periods; the form swaps in place (htmx)."""
    service.require_manage(current_user)
    form = RetentionForm()
    if not form.validate():
        return _retention_page(form, status=422)

    def done(changed: list[str]) -> Response:
        if htmx.wants_fragment():
            fresh = RetentionForm(formdata=None, data=service.retention())
            return _retention_page(fresh, saved=True)
        flash(
            "The retention periods have been saved." if changed else "Nothing was changed.",
            "success",
        )
        return htmx.redirect_after_post(url_for("dataprotection.retention"))

    def refused(_error: Invalid) -> Response:
        return _retention_page(form, status=422)

    return write(
        lambda: service.set_retention(
            current_user, {kind.name: form[kind.name].data for kind in service.KINDS}
        ),
        done,
        form=form,
        invalid=refused,
    )


@bp.get("/people/<int:user_id>/data")
def person_data(user_id: int) -> str:
    """What a subject access export of this person holds, with the download button."""
    service.require_manage(current_user)
    person = people_queries.person(user_id)
    return render_template(
        "dataprotection/person_data.html",
        person=person,
        export=access.collect(person),
        left_out=access.LEFT_OUT,
    )


@bp.post("/people/<int:user_id>/data")
def download_person_data(user_id: int) -> Response:
    """Download the person's data as a zip (JSON and a readable summary); audited."""
    service.require_manage(current_user)
    person = people_queries.person(user_id)

    def done(made: tuple[str, bytes]) -> Response:
        name, data = made
        return Response(
            data,
            mimetype="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return write(lambda: access.export_archive(current_user, person), done)

"""The sharing-practice document, and tagging service areas with sharing categories."""

from __future__ import annotations

import io

import pytest
from docx import Document

from grid_app.audit.models import AuditEvent
from grid_app.exchange.models import ServiceAreaCategory
from grid_app.exchange.sharing import links_in
from grid_app.extensions import db
from grid_app.grid.models import ServiceArea
from tests.exchange.conftest import fill


def row_ids(app, grid):
    with app.app_context():
        return dict(
            db.session.execute(
                db.select(ServiceArea.name, ServiceArea.id).where(ServiceArea.grid_id == grid.id)
            ).all()
        )


def tag(client, app, grid, chosen):
    ids = row_ids(app, grid)
    data = {f"row-{ids[name]}": values for name, values in chosen.items()}
    return client.post_form(f"/grids/{grid.slug}/categories", data)


def stored_tags(app):
    with app.app_context():
        return sorted(
            db.session.execute(
                db.select(ServiceArea.name, ServiceAreaCategory.category).join(
                    ServiceArea, ServiceArea.id == ServiceAreaCategory.row_id
                )
            ).all()
        )


def test_links_are_found_in_markdown_and_as_bare_addresses():
    text = (
        "See the [annual report](https://example.org/report) and "
        "https://example.org/plan.pdf, then [again](https://example.org/report)."
    )
    assert links_in(text) == [
        ("annual report", "https://example.org/report"),
        ("https://example.org/plan.pdf", "https://example.org/plan.pdf"),
        ("again", "https://example.org/report"),
    ]


def test_managers_tag_service_areas_and_the_change_is_audited(app, people, grid, manager):
    response = tag(
        manager,
        app,
        grid,
        {"Social work": ["organisation", "children-families"], "Youth Justice": ["partners"]},
    )
    assert response.status_code == 303
    assert stored_tags(app) == [
        ("Social work", "children-families"),
        ("Social work", "organisation"),
        ("Youth Justice", "partners"),
    ]
    page = manager.get(response.headers["Location"])
    assert "Sharing categories saved for 2 service areas" in page.text
    assert page.text.count("checked") >= 3
    tag(manager, app, grid, {"Social work": [""], "Youth Justice": ["partners"]})
    assert stored_tags(app) == [("Youth Justice", "partners")]
    with app.app_context():
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == "grid.categories_set")
        ).all()
        assert len(events) == 2
        assert events[1].details["rows"]["Social work"]["before"] == [
            "children-families",
            "organisation",
        ]


def test_an_unknown_category_is_refused_and_nothing_stored(app, people, grid, manager):
    response = tag(manager, app, grid, {"Social work": ["organisation", "gossip"]})
    assert response.status_code == 422
    assert "Choose categories from the list" in response.text
    assert stored_tags(app) == []


@pytest.mark.parametrize("who", ["contributor", "reader"])
def test_only_managers_and_admins_may_tag(client, app, people, grid, who):
    client.sign_in(people[who])
    assert tag(client, app, grid, {"Social work": ["research"]}).status_code == 403
    assert stored_tags(app) == []


def test_signed_out_tagging_goes_to_sign_in(client, app, grid):
    response = tag(client, app, grid, {"Social work": ["research"]})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def fill_for_document(app, people, grid):
    fill(
        app,
        people,
        grid,
        ("Social work", "Strategy"),
        "An explicit anti-racist model of practice. See [the model](https://example.org/model).",
    )
    fill(app, people, grid, ("Social work", "Evidence"), "Audit: https://example.org/audit.pdf")
    fill(app, people, grid, ("Social work", "Owner"), "Jo External", owners=["manager"])


def test_the_word_document_follows_the_template(app, people, grid, manager):
    fill_for_document(app, people, grid)
    tag(manager, app, grid, {"Social work": ["organisation", "research"]})
    response = manager.get(f"/grids/{grid.slug}/export/sharing-practice.docx?authority=Camden")
    assert response.status_code == 200
    assert f"{grid.slug}-sharing-practice-" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Anti-Racist Work and Tackling Disproportionality: Sharing Practice" in text
    assert "LA Name: Camden" in text
    assert "Name of project or approach: Test grid" in text
    assert "☒ Within your organisation" in text and "☒ Through research" in text
    assert "☐ With partners" in text
    assert "Shared: Within your organisation, Through research" in text
    assert "Strategy: An explicit anti-racist model of practice. See the model." in text
    assert "the model (Social work)" in text
    assert "https://example.org/audit.pdf (Social work)" in text
    assert "Social work: Mo Manager, Jo External" in text
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:2] == [
        "Anti-Racist Work and Tackling Disproportionality: Sharing Practice",
        "Categories shared",
    ]
    assert "Resources and documents" in headings and "Contact" in headings


def hyperlinks(paragraph) -> list[tuple[str, str]]:
    return [(link.text, link.url) for link in paragraph.hyperlinks]


def test_the_word_document_has_real_bold_lists_and_links_not_markdown(app, people, grid, manager):
    fill(
        app,
        people,
        grid,
        ("Social work", "Strategy"),
        "We **listen first**.\n\n- Monthly *reflective* supervision\n- A [practice model]"
        "(https://example.org/model)\n\n1. Audit\n2. Review",
    )
    response = manager.get(f"/grids/{grid.slug}/export/sharing-practice.docx?authority=Camden")
    document = Document(io.BytesIO(response.data))
    paragraphs = document.paragraphs
    text = "\n".join(p.text for p in paragraphs)
    assert "**" not in text and "- Monthly" not in text and "*reflective*" not in text
    first = next(p for p in paragraphs if p.text.startswith("Strategy: "))
    assert first.text == "Strategy: We listen first."
    assert [r.text for r in first.runs if r.bold] == ["Strategy: ", "listen first"]
    items = {p.text: p.style.name for p in paragraphs}
    assert items["Monthly reflective supervision"] == "List Bullet"
    assert items["A practice model"] == "List Bullet"
    assert items["Audit"] == "List Number" and items["Review"] == "List Number"
    linked = next(p for p in paragraphs if p.text == "A practice model")
    assert hyperlinks(linked) == [("practice model", "https://example.org/model")]
    resources = [p for p in paragraphs if p.text.startswith("practice model")]
    assert hyperlinks(resources[0]) == [("practice model", "https://example.org/model")]


def test_the_markdown_document_and_the_configured_authority(app, people, grid, manager):
    fill_for_document(app, people, grid)
    app.config["AUTHORITY_NAME"] = "Camden Council"
    response = manager.get(f"/grids/{grid.slug}/export/sharing-practice.md")
    assert response.status_code == 200
    assert response.mimetype == "text/markdown"
    text = response.text
    assert "**LA Name:** Camden Council" in text
    assert "- [ ] With communities" in text
    assert "- [the model](https://example.org/model) (Social work)" in text
    assert "- Social work: Mo Manager, Jo External" in text


def test_a_blank_authority_is_asked_for(app, people, grid, manager):
    response = manager.get(f"/grids/{grid.slug}/export/sharing-practice.docx?authority=++")
    assert response.status_code == 422
    assert "Enter the name of your authority" in response.text
    assert 'id="authority-error"' in response.text

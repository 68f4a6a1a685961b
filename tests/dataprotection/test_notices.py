"""The accessibility statement and privacy notice (public), and the record of processing
(admins), with the council's name and contacts from configuration."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import Client, GridRef, Person


@pytest.fixture
def named_app(app: Flask) -> Flask:
    app.config.update(
        AUTHORITY_NAME="Harbourside Borough Council",
        CONTACT_EMAIL="grid-help@harbourside.gov.uk",
        DPO_EMAIL="dpo@harbourside.gov.uk",
    )
    return app


@pytest.mark.parametrize("address", ["/accessibility", "/privacy"])
def test_the_public_notices_are_readable_without_signing_in(
    named_app: Flask, client: Client, address: str
) -> None:
    page = client.get(address)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Harbourside Borough Council" in html
    assert "grid-help@harbourside.gov.uk" in html


def test_the_privacy_notice_names_the_dpo_and_the_retention_periods(
    named_app: Flask, client: Client
) -> None:
    html = client.get("/privacy").get_data(as_text=True)
    assert "dpo@harbourside.gov.uk" in html
    assert "Sign-in records: 90 days" in html and "Audit log: 730 days" in html
    assert "special category" in html
    assert "Information Commissioner" in html


def test_the_accessibility_statement_has_what_the_regulations_ask_for(
    named_app: Flask, client: Client
) -> None:
    html = client.get("/accessibility").get_data(as_text=True)
    for heading in (
        "How accessible this service is",
        "Feedback and contact information",
        "Enforcement procedure",
        "How we tested this service",
    ):
        assert heading in html
    assert "WCAG" in html or "Web Content Accessibility Guidelines" in html


def test_every_page_links_to_the_notices_and_admins_also_see_their_own(
    app: Flask, client: Client, people: dict[str, Person], grid: GridRef
) -> None:
    client.sign_in(people["contributor"])
    html = client.get(f"/grids/{grid.slug}").get_data(as_text=True)
    assert 'href="/accessibility"' in html and 'href="/privacy"' in html
    assert 'href="/record-of-processing"' not in html
    client.post_form("/sign-out", {})
    client.sign_in(people["admin"])
    html = client.get(f"/grids/{grid.slug}").get_data(as_text=True)
    assert 'href="/record-of-processing"' in html and 'href="/retention"' in html
    signed_out = Client(app, app.response_class, use_cookies=True)
    assert 'href="/privacy"' in signed_out.get("/sign-in").get_data(as_text=True)


def test_the_record_of_processing_is_for_admins(
    named_app: Flask, client: Client, people: dict[str, Person]
) -> None:
    assert client.get("/record-of-processing").status_code in (302, 303)
    for key in ("contributor", "manager", "facilitator"):
        client.sign_in(people[key])
        assert client.get("/record-of-processing").status_code == 403
        client.post_form("/sign-out", {})
    client.sign_in(people["admin"])
    page = client.get("/record-of-processing")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Harbourside Borough Council" in html and "dpo@harbourside.gov.uk" in html
    assert "Notifications: 180 days" in html

"""Data protection in the browser: the notices from the footer, retention, subject access."""

from __future__ import annotations

import io
import json
import zipfile

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, sign_in
from tests.e2e.test_people_journeys import open_person


def open_privacy_signed_out(page: Page, server: LiveServer) -> None:
    """The privacy notice, from the sign-in page's footer."""
    page.goto(f"{server.url}/sign-in")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy notice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")


def open_accessibility(page: Page, server: LiveServer) -> None:
    """The accessibility statement, from the grid's footer, as a contributor."""
    sign_in(page, server)
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")


def open_record(page: Page, server: LiveServer) -> None:
    """The record of processing, from the footer, as an admin."""
    sign_in(page, server, "admin@example.org")
    page.get_by_role("contentinfo").get_by_role("link", name="Record of processing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record of processing")


def open_retention(page: Page, server: LiveServer) -> None:
    """The retention settings, from the footer, as an admin."""
    sign_in(page, server, "admin@example.org")
    page.get_by_role("contentinfo").get_by_role("link", name="Retention").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention")


def open_retention_with_error(page: Page, server: LiveServer) -> None:
    """A retention period out of range, refused beside its field."""
    open_retention(page, server)
    page.get_by_label("Audit log").fill("5")
    page.get_by_role("button", name="Save retention periods").click()
    expect(page.locator("#keep-audit-log-error")).to_contain_text("between 90 and 3,650 days")


def open_person_data(page: Page, server: LiveServer) -> None:
    """What a subject access export of one person holds, from their page under People."""
    open_person(page, server)
    page.get_by_role("link", name="see and download everything held about").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Marcus Reid’s data")


def test_a_person_reads_the_privacy_notice_before_signing_in(
    page: Page, live_server: LiveServer
) -> None:
    open_privacy_signed_out(page, live_server)
    expect(page.get_by_role("main")).to_contain_text("special category data")
    expect(page.get_by_role("link", name="Information Commissioner’s Office")).to_be_visible()


def test_an_admin_shortens_a_retention_period_keeping_what_was_typed_on_a_mistake(
    page: Page, live_server: LiveServer
) -> None:
    open_retention_with_error(page, live_server)
    expect(page.get_by_label("Audit log")).to_have_value("5")
    page.get_by_label("Audit log").fill("365")
    page.get_by_label("Sign-in records").fill("30")
    page.get_by_role("button", name="Save retention periods").click()
    expect(page.get_by_role("status").filter(has_text="have been saved")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Sign-in records")).to_have_value("30")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy notice").click()
    expect(page.get_by_role("main")).to_contain_text("Sign-in records: 30 days")


def test_an_admin_downloads_a_person_s_data_for_a_subject_access_request(
    page: Page, live_server: LiveServer
) -> None:
    open_person_data(page, live_server)
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download Marcus Reid’s data").click()
    download = waiting.value
    assert download.suggested_filename.startswith("personal-data-")
    path = download.path()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        data = json.loads(archive.read("data.json"))
        summary = archive.read("summary.html").decode()
    assert data["person"]["display_name"] == "Marcus Reid"
    assert "Marcus Reid" in summary
    page.get_by_role("link", name="Audit log").first.click()
    expect(page.get_by_role("main")).to_contain_text("downloaded the personal data of Marcus Reid")


def test_a_contributor_has_no_record_of_processing_link_and_is_refused_it(
    page: Page, live_server: LiveServer
) -> None:
    open_accessibility(page, live_server)
    expect(
        page.get_by_role("contentinfo").get_by_role("link", name="Record of processing")
    ).to_have_count(0)
    response = page.goto(f"{live_server.url}/record-of-processing")
    assert response is not None and response.status == 403

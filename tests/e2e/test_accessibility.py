"""Every page type passes axe-core (WCAG 2.0/2.1/2.2 A and AA) at desktop and phone widths."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from grid_app.auth.models import OPERATOR
from grid_app.auth.service import create_user
from grid_app.extensions import db
from tests.e2e import test_account_journeys as account_pages
from tests.e2e import test_audit_journeys as audit_pages
from tests.e2e import test_dashboard_journeys as dashboard_pages
from tests.e2e import test_dataprotection_journeys as dataprotection_pages
from tests.e2e import test_discussion_journeys as discussion_pages
from tests.e2e import test_erasure_journeys as erasure_pages
from tests.e2e import test_exchange_journeys as exchange_pages
from tests.e2e import test_gap_journeys as gap_pages
from tests.e2e import test_invitation_journeys as invitation_pages
from tests.e2e import test_notification_journeys as notification_pages
from tests.e2e import test_password_journeys as password_pages
from tests.e2e import test_people_journeys as people_pages
from tests.e2e import test_redaction_journeys as redaction_pages
from tests.e2e import test_safe_space_journeys as safe_space_pages
from tests.e2e import test_search_journeys as search_pages
from tests.e2e import test_second_factor_journeys as second_factor_pages
from tests.e2e import test_sso_journeys as sso_pages
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    LiveServer,
    assert_accessible,
    axe_violations,
    save_as,
    screenshot,
    sign_in,
)

EVIDENCE = "Evidence for Safe spaces for staff"


def open_sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/sign-in")


def open_sign_in_with_errors(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def open_sign_in_refused(page: Page, server: LiveServer) -> None:
    server.app.config["SIGN_IN_LIMIT_PER_EMAIL_FROM_CLIENT"] = "1 per 5 minutes"
    page.goto(f"{server.url}/sign-in")
    for _ in range(2):
        page.get_by_label("Email address").fill("contributor@example.org")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too many attempts to sign in")).to_be_visible()


def open_grid(page: Page, server: LiveServer) -> None:
    sign_in(page, server)


def open_cell_page(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/2")


def open_edit_page(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/2/edit")


def open_edit_in_place(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.get_by_role("link", name=f"Add {EVIDENCE}").click()
    expect(page.get_by_role("textbox", name=EVIDENCE)).to_be_focused()


def open_edit_with_error(page: Page, server: LiveServer) -> None:
    open_edit_in_place(page, server)
    page.get_by_role("textbox", name=EVIDENCE).fill("x" * 20_001)
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page.get_by_text("a cell can hold up to 20,000")).to_be_visible()


def open_conflict_in_place(page: Page, server: LiveServer) -> None:
    open_edit_in_place(page, server)
    save_as(server, "manager@example.org", 2, "Saved by someone else meanwhile.")
    page.get_by_role("textbox", name=EVIDENCE).fill("My own words.")
    page.get_by_role("button", name=f"Save {EVIDENCE}").click()
    expect(page.get_by_role("heading", name="Someone else changed this cell")).to_be_visible()


def open_conflict_page(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/2/edit")
    save_as(server, "manager@example.org", 2, "Saved by someone else meanwhile.")
    page.get_by_role("textbox", name=EVIDENCE).fill("My own words.")
    # A plain form submission, as a browser without JavaScript would send it.
    page.evaluate("document.querySelector('form.app-cell-form').submit()")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Merge your changes")


def open_not_found(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/no/such/page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def open_history(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    # Cell 1 has the demo's first draft; a second revision makes a choice to compare.
    save_as(server, "manager@example.org", 1, "Sessions run monthly, led by staff networks.")
    page.goto(f"{server.url}/cells/1")
    page.get_by_role("link", name="History of this cell").click()
    expect(page.get_by_role("button", name="Compare the chosen revisions")).to_be_visible()


def open_compare(page: Page, server: LiveServer) -> None:
    open_history(page, server)
    page.get_by_role("button", name="Compare the chosen revisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revision 1 compared with revision 2")


def open_as_of(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="See the grid as it stood on a past date").click()
    page.get_by_role("link", name="Earlier change").click()
    expect(page.get_by_role("link", name="Later change")).to_be_visible()


def open_as_of_with_error(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="See the grid as it stood on a past date").click()
    page.get_by_label("Show the grid as it stood at (UK time)").fill("2999-01-01T09:00")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("That is in the future.")).to_be_visible()


def open_activity(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")


def open_activity_with_error(page: Page, server: LiveServer) -> None:
    open_activity(page, server)
    page.get_by_label("From", exact=True).fill("2026-03-10")
    page.get_by_label("To", exact=True).fill("2026-03-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("The end date must be on or after the start date.")).to_be_visible()


def open_grid_as(email: str) -> Callable[[Page, LiveServer], None]:
    """The grid as someone in another role sees it (other links and controls)."""

    def open_page(page: Page, server: LiveServer) -> None:
        sign_in(page, server, email)

    return open_page


def add_reader(server: LiveServer) -> str:
    """Someone who may read the grid and nothing more."""
    with server.app.app_context():
        create_user(OPERATOR, "reader@example.org", "Rae Reader", DEMO_PASSWORD, roles=[])
        db.session.commit()
    return "reader@example.org"


def open_grid_as_reader(page: Page, server: LiveServer) -> None:
    sign_in(page, server, add_reader(server))
    expect(page.get_by_text("You can read the grid.")).to_be_visible()


LONG_TEXT = "\n\n".join(f"Paragraph {n} of what the staff network found." for n in range(14))


def open_grid_with_long_cells(page: Page, server: LiveServer) -> None:
    for cell in (1, 2):
        save_as(server, "manager@example.org", cell, LONG_TEXT)
    sign_in(page, server)
    page.locator("details.app-cell__more > summary").first.click()


def open_grid_with_a_row_opened(page: Page, server: LiveServer) -> None:
    for cell in (1, 2):
        save_as(server, "manager@example.org", cell, LONG_TEXT)
    sign_in(page, server)
    page.get_by_role("link", name="Show all in Safe spaces for staff").click()
    expect(page.locator("details.app-cell__more[open]")).to_have_count(2)


def open_cell_page_as_manager(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "manager@example.org")
    page.get_by_role(
        "link", name="Open Strategy for Safe spaces for staff: history, discussion and gaps"
    ).click()
    expect(
        page.get_by_role("button", name=re.compile("Mark reviewed|reviewed", re.I))
    ).to_be_visible()


def open_cell_page_as_reader(page: Page, server: LiveServer) -> None:
    sign_in(page, server, add_reader(server))
    page.get_by_role("link", name=f"Open {EVIDENCE}: history, discussion and gaps").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(EVIDENCE)


def open_discussion_as_reader(page: Page, server: LiveServer) -> None:
    sign_in(page, server, add_reader(server))
    page.goto(f"{server.url}/cells/2/discussion")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def open_activity_as_admin(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "admin@example.org")
    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")


def open_structure(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "admin@example.org")
    page.get_by_role("link", name="Change service areas and columns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service areas and columns")


PAGES: dict[str, Callable[[Page, LiveServer], None]] = {
    "sign-in": open_sign_in,
    "sign-in-errors": open_sign_in_with_errors,
    "sign-in-refused": open_sign_in_refused,
    "forgot-password": password_pages.open_forgot_password,
    "forgot-password-error": password_pages.open_forgot_password_with_error,
    "reset-sent": password_pages.open_reset_sent,
    "reset-password": password_pages.open_reset_password,
    "reset-password-errors": password_pages.open_reset_password_with_errors,
    "reset-link-unusable": password_pages.open_reset_link_unusable,
    "change-password-errors": password_pages.open_change_password_with_errors,
    "profile-sessions": account_pages.open_profile_with_sessions,
    "profile-session-signed-out": account_pages.open_profile_after_signing_one_out,
    "profile-session-refused": account_pages.open_profile_with_a_refused_sign_out,
    "change-email-errors": account_pages.open_change_email_with_errors,
    "confirm-email": account_pages.open_confirm_email,
    "email-confirmed": account_pages.open_email_confirmed,
    "email-link-gone": account_pages.open_email_link_gone,
    "grid": open_grid,
    "grid-manager": open_grid_as("manager@example.org"),
    "grid-admin": open_grid_as("admin@example.org"),
    "grid-facilitator": open_grid_as("facilitator@example.org"),
    "grid-reader": open_grid_as_reader,
    "grid-long-cells": open_grid_with_long_cells,
    "grid-row-opened": open_grid_with_a_row_opened,
    "cell": open_cell_page,
    "cell-manager": open_cell_page_as_manager,
    "cell-reader": open_cell_page_as_reader,
    "edit-page": open_edit_page,
    "edit-in-place": open_edit_in_place,
    "edit-error": open_edit_with_error,
    "conflict-in-place": open_conflict_in_place,
    "conflict-page": open_conflict_page,
    "not-found": open_not_found,
    "history": open_history,
    "compare": open_compare,
    "as-of": open_as_of,
    "as-of-error": open_as_of_with_error,
    "activity": open_activity,
    "activity-admin": open_activity_as_admin,
    "activity-error": open_activity_with_error,
    "structure": open_structure,
    "gap-flags": gap_pages.open_cell_flags,
    "gap-flags-error": gap_pages.open_cell_flags_with_error,
    "gap-flag": gap_pages.open_flag,
    "gap-flag-raiser": gap_pages.open_flag_as_raiser,
    "gap-flag-error": gap_pages.open_flag_with_error,
    "grid-flags": gap_pages.open_grid_flags,
    "discussion": discussion_pages.open_discussion,
    "discussion-reader": open_discussion_as_reader,
    "discussion-error": discussion_pages.open_discussion_with_error,
    "comment-edit": discussion_pages.open_comment_edit,
    "comment-edit-conflict": discussion_pages.open_comment_edit_conflict,
    "comment-history": discussion_pages.open_comment_history,
    "notifications": notification_pages.open_notifications,
    "notification": notification_pages.open_notification,
    "mention-suggestions": notification_pages.open_suggestions,
    "profile-error": notification_pages.open_profile_with_error,
    "dashboard": dashboard_pages.open_dashboard,
    "dashboard-report": dashboard_pages.open_report,
    "dashboard-error": dashboard_pages.open_dashboard_with_error,
    "exchange": exchange_pages.open_exchange,
    "exchange-import-preview": exchange_pages.open_import_preview,
    "exchange-import-later-edits": exchange_pages.open_preview_of_an_old_export,
    "safe-space-sessions": safe_space_pages.open_sessions,
    "safe-space-new": safe_space_pages.open_new_session,
    "safe-space-new-errors": safe_space_pages.open_new_session_with_errors,
    "safe-space-facilitator": safe_space_pages.open_session_as_facilitator,
    "safe-space-close": safe_space_pages.open_close_confirmation,
    "safe-space-closed-facilitator": safe_space_pages.open_closed_session_as_facilitator,
    "safe-space-before-joining": safe_space_pages.open_session_before_joining,
    "safe-space-participant": safe_space_pages.open_session_as_participant,
    "safe-space-receipt": safe_space_pages.open_receipt,
    "safe-space-withdraw-error": safe_space_pages.open_withdraw_with_error,
    "safe-space-withdraw-named": safe_space_pages.open_withdraw_named,
    "safe-space-theme": safe_space_pages.open_theme,
    "safe-space-waiting-move-error": safe_space_pages.open_session_with_waiting_and_a_move_error,
    "safe-space-insight": safe_space_pages.open_insight_as_facilitator,
    "safe-space-insight-contributor": safe_space_pages.open_insight_as_contributor,
    "people": people_pages.open_people,
    "person": people_pages.open_person,
    "person-error": people_pages.open_person_with_error,
    "erase": erasure_pages.open_erase,
    "erase-error": erasure_pages.open_erase_with_error,
    "person-erased": erasure_pages.open_erased_person,
    "redaction-ask": redaction_pages.open_ask,
    "redaction-ask-error": redaction_pages.open_ask_with_error,
    "redactions-requested": redaction_pages.open_requested,
    "redactions-for-admin": redaction_pages.open_pending_for_admin,
    "person-sessions": account_pages.open_person_with_sessions,
    "sign-out-everyone": account_pages.open_sign_out_everyone,
    "sign-out-everyone-error": account_pages.open_sign_out_everyone_with_error,
    "audit-log": audit_pages.open_audit_log,
    "audit-log-error": audit_pages.open_audit_log_with_error,
    "audit-log-empty": audit_pages.open_audit_log_empty,
    "invite": invitation_pages.open_invite,
    "invite-errors": invitation_pages.open_invite_with_errors,
    "invite-bulk-preview": invitation_pages.open_bulk_preview,
    "invitation-accept": invitation_pages.open_accept,
    "invitation-accept-errors": invitation_pages.open_accept_with_errors,
    "invitation-gone": invitation_pages.open_invitation_gone,
    "account-requests": invitation_pages.open_account_requests,
    "account-request-form": invitation_pages.open_request_form,
    "privacy-signed-out": dataprotection_pages.open_privacy_signed_out,
    "accessibility-statement": dataprotection_pages.open_accessibility,
    "record-of-processing": dataprotection_pages.open_record,
    "retention": dataprotection_pages.open_retention,
    "retention-error": dataprotection_pages.open_retention_with_error,
    "person-data": dataprotection_pages.open_person_data,
    "authenticator-off": second_factor_pages.open_profile_section,
    "authenticator-setup": second_factor_pages.open_setup,
    "authenticator-setup-error": second_factor_pages.open_setup_with_error,
    "authenticator-recovery-codes": second_factor_pages.open_recovery_codes,
    "authenticator-on": second_factor_pages.open_enrolled,
    "authenticator-required": second_factor_pages.open_required_setup,
    "authenticator-on-required": second_factor_pages.open_required_enrolled,
    "sign-in-code": second_factor_pages.open_code_page,
    "sign-in-code-error": second_factor_pages.open_code_page_with_error,
    "confirm-it-is-you": second_factor_pages.open_confirm,
    "confirm-it-is-you-error": second_factor_pages.open_confirm_with_error,
    "confirmed": second_factor_pages.open_confirmed,
    "sso-sign-in": sso_pages.open_sign_in_with_sso,
    "sso-sign-in-passwords-off": sso_pages.open_sign_in_with_passwords_off,
    "sso-refused": sso_pages.open_refused,
    "sso-signed-out": sso_pages.open_signed_out,
    "sso-settings": sso_pages.open_settings,
    "sso-settings-error": sso_pages.open_settings_with_error,
    "sso-invitation": sso_pages.open_invitation_with_sso,
    "search-results": search_pages.open_results,
    "search-results-admin": search_pages.open_results_as_admin,
    "search-errors": search_pages.open_results_with_errors,
    "search-no-results": search_pages.open_no_results,
    "search-suggestions": search_pages.open_suggestions,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_accessibility_violations(page: Page, live_server, name):
    PAGES[name](page, live_server)
    # The same page state, scanned at desktop width and then reflowed to a 320 px phone,
    # where nothing may make the page itself scroll sideways (a table scrolls in its box).
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"{name} at {width}px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, name


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("name", ["sign-in", "grid", "edit-in-place", "conflict-in-place"])
def test_screenshots_of_the_main_pages(page: Page, live_server, name, width):
    page.set_viewport_size({"width": width, "height": 900})
    PAGES[name](page, live_server)
    screenshot(page, f"{name}-{width}")


def test_the_scan_catches_a_deliberate_fault(page: Page, live_server):
    open_grid(page, live_server)
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')"
    )
    violations = axe_violations(page)
    assert "label" in {v["id"] for v in violations}
    with pytest.raises(pytest.fail.Exception, match=r"label .*\n.*<input type=\"text\">"):
        assert_accessible(page, "grid with an unlabelled field")


def test_the_scan_catches_targets_too_small_to_hit(page: Page, live_server):
    open_grid(page, live_server)
    page.evaluate(
        """document.querySelector('main').insertAdjacentHTML('beforeend',
        '<p><button style="width:12px;height:12px;padding:0">a</button>'
        + '<button style="width:12px;height:12px;padding:0">b</button></p>')"""
    )
    assert "target-size" in {v["id"] for v in axe_violations(page)}

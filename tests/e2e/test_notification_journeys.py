"""Mentions, watching and notifications in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, new_signed_in_page, sign_in
from tests.e2e.test_discussion_journeys import CELL


def test_a_mention_picked_from_suggestions_reaches_the_person_under_their_bell(
    page: Page, browser: Browser, live_server, console_errors
):
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/cells/{CELL}/comments")
    page.get_by_role("button", name="Watch this cell").click()
    expect(page.get_by_role("status").filter(has_text="You are watching")).to_be_visible()
    expect(page.get_by_role("button", name="Stop watching this cell")).to_be_visible()

    box = page.get_by_label("Start a thread")
    box.press_sequentially("Could @morg")
    suggestion = page.get_by_role("button", name=re.compile("^Morgan Manager"))
    expect(suggestion).to_be_visible()
    box.press("ArrowDown")
    expect(suggestion).to_be_focused()
    suggestion.press("Enter")
    expect(box).to_have_value("Could @manager@example.org ")
    expect(box).to_be_focused()
    box.press_sequentially("check these figures?")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".app-comment__text strong").first).to_have_text("@Morgan Manager")

    manager = new_signed_in_page(browser, live_server, "manager@example.org")
    # One from the demo's thread, and this one.
    bell = manager.get_by_role("link", name=re.compile(r"^Notifications 2 unread"))
    expect(bell).to_be_visible()
    bell.click()
    # A button that reads as a link: going there marks it read, which a GET must not do.
    mention = manager.get_by_role(
        "button",
        name="Chris Contributor mentioned you in a comment on Safe spaces for staff × Evidence",
        exact=True,
    )
    mention.click()
    expect(manager).to_have_url(re.compile(rf"/cells/{CELL}/comments#comment-\d+$"))
    expect(manager.get_by_role("link", name=re.compile(r"^Notifications 1 unread"))).to_be_visible()

    manager.get_by_role("link", name=re.compile("your profile$")).click()
    manager.get_by_label("Once a day").check()
    manager.get_by_role("button", name="Save email choice").click()
    expect(manager.get_by_text("Your email choice has been saved.")).to_be_visible()
    expect(manager.get_by_label("Once a day")).to_be_checked()
    assert console_errors == []


def test_without_javascript_a_notification_from_an_email_opens_and_is_marked_read(
    browser: Browser, live_server
):
    manager = new_signed_in_page(
        browser, live_server, "manager@example.org", java_script_enabled=False
    )
    manager.goto(f"{live_server.url}/notifications")
    first = manager.locator(".app-notification form[action$='/open']").first
    note_id = re.search(r"/notifications/(\d+)/open", first.get_attribute("action") or "")
    assert note_id
    # The address an email links to shows the notification and changes nothing.
    manager.goto(f"{live_server.url}/notifications/{note_id.group(1)}")
    expect(manager.get_by_role("heading", name="Notification")).to_be_visible()
    expect(manager.get_by_role("link", name=re.compile(r"^Notifications 1 unread"))).to_be_visible()
    manager.get_by_role("button", name="Go to the comment").click()
    expect(manager).to_have_url(re.compile(r"/cells/\d+/comments#comment-\d+$"))
    expect(manager.get_by_role("link", name=re.compile(r"^Notifications$"))).to_be_visible()


# --- Pages for the accessibility scan (tests/e2e/test_accessibility.py) ------------------


def open_notifications(page: Page, server: LiveServer) -> None:
    sign_in(page, server, "manager@example.org")
    page.get_by_role("link", name=re.compile("^Notifications")).click()
    expect(page.get_by_role("heading", name="What you watch")).to_be_visible()


def open_notification(page: Page, server: LiveServer) -> None:
    open_notifications(page, server)
    action = page.locator(".app-notification form[action$='/open']").first.get_attribute("action")
    page.goto(server.url + (action or "").removesuffix("/open"))
    expect(page.get_by_role("button", name=re.compile("^Go to the"))).to_be_visible()


def open_suggestions(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/cells/{CELL}/comments")
    page.get_by_label("Start a thread").press_sequentially("@a")
    expect(page.get_by_role("button", name=re.compile("^Ada Admin"))).to_be_visible()


def open_profile_with_error(page: Page, server: LiveServer) -> None:
    sign_in(page, server)
    page.goto(f"{server.url}/profile")
    page.evaluate("document.getElementById('email-frequency-none').value = 'hourly'")
    page.get_by_label("Never").check()
    page.get_by_role("button", name="Save email choice").click()
    expect(
        page.get_by_text("Choose straight away, once a day, once a week or never.")
    ).to_be_visible()

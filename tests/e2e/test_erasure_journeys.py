"""An admin erases a person in a real browser, starting from the site navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_people_journeys import open_people

TOM = "tom.hughes@example.org"


def open_erase(page: Page, server: LiveServer) -> None:
    """The page that explains an erasure and asks to confirm it."""
    open_people(page, server)
    page.get_by_role("link", name="Tom Hughes").click()
    page.get_by_role("link", name="Erase Tom Hughes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase Tom Hughes")


def open_erase_with_error(page: Page, server: LiveServer) -> None:
    """A confirmation that does not match is refused beside the field."""
    open_erase(page, server)
    page.get_by_label("Type their email address to confirm").fill("tom@example.org")
    page.get_by_role("button", name="Erase Tom Hughes").click()
    expect(page.get_by_role("heading", name="Nobody was erased")).to_be_visible()


def open_erased_person(page: Page, server: LiveServer) -> None:
    """The person's page once erased: the placeholder name and no private data."""
    open_erase(page, server)
    page.get_by_label("Type their email address to confirm").fill(TOM)
    page.get_by_role("button", name="Erase Tom Hughes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Former colleague \d+"))


def test_admin_erases_someone_and_the_grid_shows_the_placeholder(
    page: Page, live_server, console_errors
):
    open_erase_with_error(page, live_server)
    field = page.get_by_label("Type their email address to confirm")
    expect(field).to_have_value("tom@example.org")
    field.fill(TOM)
    page.get_by_role("button", name="Erase Tom Hughes").click()
    expect(
        page.get_by_text(re.compile(r"Erased: the person is now shown as Former colleague \d+"))
    ).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Tom Hughes")
    expect(page.get_by_role("main")).not_to_contain_text(TOM)

    # Tom owned Youth Justice: the grid names its owner by the placeholder now.
    page.get_by_role("link", name="Supporting People Grid").click()
    expect(page.get_by_role("main")).to_contain_text(re.compile(r"Former colleague \d+"))
    expect(page.get_by_role("main")).not_to_contain_text("Tom Hughes")
    # The one refused confirmation answered 422, as it should; nothing else went wrong.
    assert [e for e in console_errors if "422" not in e] == []

"""The rules for a new password, and that adding a person applies them."""

from __future__ import annotations

import pytest

from grid_app.auth import passwords, service
from grid_app.auth.models import OPERATOR
from grid_app.errors import Invalid

WHO = {"email": "jo.bloggs@example.org", "display_name": "Jo Bloggs"}


@pytest.mark.parametrize(
    "password",
    [
        "plum kettle across winter",
        "x" * 256,
        "ÄÖÜ ßéè ÿñ 12345",
        "jo is not refused",  # a two-letter piece of a name turns up in ordinary words
        "lowercase only, no digits",
    ],
)
def test_long_enough_uncommon_impersonal_passwords_are_accepted(password):
    assert passwords.problem(password, **WHO) is None


@pytest.mark.parametrize(
    "password,reason",
    [
        ("a" * 11, "at least 12"),
        ("a" * 257, "at most 256"),
        ("QWERTY123456", "most common"),
        ("1q2w3e4r5t6y", "most common"),
        ("JO.BLOGGS-forever", "email address"),
        ("i am bloggs really", "email address"),
        ("Jo Bloggs is me", "email address"),
    ],
)
def test_short_long_common_and_personal_passwords_are_refused(password, reason):
    message = passwords.problem(password, **WHO)
    assert message is not None and reason in message


def test_a_name_not_in_the_address_is_refused_as_a_name():
    message = passwords.problem(
        "winston in the garden", email="w.c@example.org", display_name="Winston C"
    )
    assert message is not None and "your name" in message


def test_the_bundled_list_is_the_full_one():
    assert len(passwords.common_passwords()) > 19_000


def test_adding_a_person_applies_the_rules(app):
    with app.app_context(), pytest.raises(Invalid) as refused:
        service.create_user(OPERATOR, "sam.smith@example.org", "Sam Smith", "samsmith-2026!!")
    assert "email address" in refused.value.field_errors["password"]


@pytest.mark.parametrize(
    "password",
    ["Supporting People 2026!", "my-grid-password", "G.R.I.D. forever and ever"],
)
def test_the_name_of_the_service_is_refused_like_a_breached_password(password):
    message = passwords.problem(password, **WHO)
    assert message is not None and "name of this service" in message


def test_the_councils_own_name_is_refused_but_not_the_word_council(app):
    app.config["AUTHORITY_NAME"] = "Barsetshire County Council"
    with app.app_context():
        refused = passwords.problem("barsetshire rocks on", **WHO)
        kept = passwords.problem("council tax is due soon", **WHO)
    assert refused is not None and "of the council" in refused
    assert kept is None


def test_the_demo_password_is_acceptable(app):
    with app.app_context():
        assert passwords.problem(app.config["DEMO_PASSWORD"], **WHO) is None

"""Every audited action in the code has words, and unknown ones fall back safely."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grid_app.audit import actions
from grid_app.audit.actions import Said, Subject
from grid_app.gaps.service import EVENT_KIND

PACKAGE = Path(__file__).resolve().parents[2] / "grid_app"
# Action names built at run time, by the literal start of their f-string: every name each
# can make. A new f-string action must be added here, with where its names come from.
DYNAMIC = {"gap_flag.": {f"gap_flag.{kind}" for kind in EVENT_KIND.values()}}


def recorded_actions() -> set[str]:
    """Every action name passed to ``record(...)`` anywhere in grid_app."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name != "record":
                continue
            found |= _names(node.args[1], f"{path.name}:{node.lineno}")
    return found


def _names(arg: ast.expr, where: str) -> set[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return {arg.value}
    if isinstance(arg, ast.IfExp):
        return _names(arg.body, where) | _names(arg.orelse, where)
    if isinstance(arg, ast.JoinedStr):
        first = arg.values[0]
        prefix = first.value if isinstance(first, ast.Constant) else ""
        assert prefix in DYNAMIC, f"{where}: an action name built as f'{prefix}…' is not known"
        return DYNAMIC[prefix]
    raise AssertionError(f"{where}: the action name is not written out where it is recorded")


def test_the_scan_finds_every_recorded_action():
    names = recorded_actions()
    assert len(names) >= 40
    assert {"user.roles_changed", "safe_space.contributions_read", "gap_flag.wont_fix"} <= names
    assert {"audit.viewed", "audit.exported"} <= names


def test_every_action_recorded_in_the_code_has_a_description():
    missing = recorded_actions() - set(actions.ACTIONS)
    assert not missing, f"Describe these in grid_app/audit/actions.py: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(actions.ACTIONS))
def test_every_description_reads_as_a_sentence_even_without_details(name):
    subject = Subject("user", "7", "Tom Hughes")
    sentence = actions.describe(Said(name, 3, subject, {}))
    assert sentence and sentence[0].islower() and "None" not in sentence
    assert actions.label(name) == actions.ACTIONS[name].label


def test_roles_changed_says_from_what_to_what():
    said = Said(
        "user.roles_changed",
        1,
        Subject("user", "2", "Tom Hughes"),
        {"before": ["contributor"], "after": ["contributor", "manager"]},
    )
    assert actions.describe(said) == (
        "changed the roles of Tom Hughes from contributor to contributor, manager"
    )


def test_an_unknown_action_is_named_and_shows_none_of_its_details():
    said = Said("brand.new_thing", 1, Subject("safe_space_session", "4", "session 4"), {})
    assert actions.describe(said) == "did “brand.new_thing” to session 4"
    assert actions.describe(Said("brand.new_thing", 1, None, {})) == "did “brand.new_thing”"
    assert actions.shown_details("brand.new_thing", {"body": "what someone wrote"}) == {}
    assert actions.label("brand.new_thing") == "brand.new_thing"


def test_safe_space_actions_show_no_detail_that_could_hold_what_was_written():
    allowed = {
        key
        for name, action in actions.ACTIONS.items()
        if name.startswith("safe_space.")
        for key in action.details
    }
    assert allowed <= {
        "rules_version",
        "what",
        "invited",
        "count",
        "contributions",
        "cell_id",
        "revision_id",
    }


def test_a_missing_actor_is_the_operator_except_for_an_unknown_sign_in():
    assert actions.actor_name("user.created", None, {}) == "Operator"
    assert actions.actor_name("auth.sign_in_failed", None, {}) == "Someone unknown"
    assert actions.actor_name("auth.signed_in", 5, {5: "Tom Hughes"}) == "Tom Hughes"


def test_the_filter_groups_offer_every_known_action_once():
    offered = [name for _group, items in actions.grouped() for name, _label in items]
    assert sorted(offered) == sorted(actions.ACTIONS)


def test_a_failed_sign_in_to_an_account_does_not_claim_its_holder_typed_it():
    known = Said("auth.sign_in_failed", 4, Subject("user", "4", "Tom Hughes"), {})
    assert actions.describe(known) == "had a failed sign-in to their account"
    unknown = Said("auth.sign_in_failed", None, None, {})
    assert actions.describe(unknown) == "failed to sign in"

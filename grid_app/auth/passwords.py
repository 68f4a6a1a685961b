"""What makes a new password acceptable (NIST SP 800-63B, section 5.1.1.2).

Long enough, not absurdly long, no composition rules (they make passwords harder to remember,
not to guess), and refused when it is one of the most common passwords, holds the
person's own name or email address, or the name of this service or of the council, which
are the first things an attacker tries (the list is in docs/security.md).
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context

from grid_app.errors import Invalid

PASSWORD_MIN = 12
PASSWORD_MAX = 256
# Shorter pieces of a name ("Mo", "Ade") turn up inside ordinary words too often to refuse.
NAME_PART_MIN = 4
COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")
# The product's own name and words from it: what anyone guessing a password here tries first.
PRODUCT_WORDS = ("supportingpeople", "grid")
# Words in most councils' names: refusing them says nothing about this council in particular
# and would refuse too many ordinary passwords.
_GENERIC_AUTHORITY_WORDS = frozenset(
    {"council", "county", "borough", "city", "district", "metropolitan", "royal", "our", "the"}
)


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords, lower case (see COMMON-PASSWORDS.md)."""
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def _personal_words(email: str, display_name: str) -> tuple[list[str], list[str]]:
    local = email.strip().lower().partition("@")[0]
    email_words = [local, *re.split(r"[^a-z0-9]+", local)] if local else []
    name_words = re.split(r"[^\w]+", display_name.lower())
    return (
        [w for w in email_words if len(w) >= NAME_PART_MIN or (w == local and len(w) >= 3)],
        [w for w in name_words if len(w) >= NAME_PART_MIN],
    )


def _squashed(text: str) -> str:
    """Lower case with everything but letters and digits taken out ("Supporting People")."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def context_words(authority_name: str | None = None) -> list[str]:
    """The words a password may not contain because they name this service or the council.

    The council's full name and each distinctive word of it (four letters or more), from
    ``AUTHORITY_NAME`` unless given.
    """
    if authority_name is None:
        authority_name = current_app.config["AUTHORITY_NAME"] if has_app_context() else ""
    words = list(PRODUCT_WORDS)
    parts = [p for p in re.split(r"[^\w]+", authority_name.lower()) if p]
    distinctive = [
        p for p in parts if len(p) >= NAME_PART_MIN and p not in _GENERIC_AUTHORITY_WORDS
    ]
    if distinctive:
        words.append(_squashed(authority_name))
        words.extend(distinctive)
    return words


def problem(password: str, *, email: str, display_name: str) -> str | None:
    """What is wrong with ``password`` as a new password for this person, or None."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    folded = password.lower()
    if folded in common_passwords():
        return "This is one of the most common passwords. Choose one that is harder to guess."
    email_words, name_words = _personal_words(email, display_name)
    if any(word and word in folded for word in email_words):
        return "Do not use your email address in your password."
    if any(word in folded for word in name_words):
        return "Do not use your name in your password."
    squashed = _squashed(password)
    if any(word in squashed for word in context_words()):
        return "Do not use the name of this service or of the council in your password."
    return None


def require_acceptable(
    password: str, *, email: str, display_name: str, field: str = "password"
) -> None:
    """Raise Invalid, with the message beside ``field``, unless the password is acceptable."""
    message = problem(password, email=email, display_name=display_name)
    if message:
        raise Invalid("Choose a different password.", {field: message})

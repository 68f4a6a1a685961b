"""What makes a new password acceptable (NIST SP 800-63B, section 5.1.1.2).

Long enough, not absurdly long, no composition rules (they make passwords harder to remember,
not to guess), and refused when it is one of the most common passwords or holds the
person's own name or email address, which are the first things an attacker tries.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from grid_app.errors import Invalid

PASSWORD_MIN = 12
PASSWORD_MAX = 256
# Shorter pieces of a name ("Mo", "Ade") turn up inside ordinary words too often to refuse.
NAME_PART_MIN = 4
COMMON_LIST = Path(__file__).with_name("common-passwords.txt.gz")


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
    return None


def require_acceptable(
    password: str, *, email: str, display_name: str, field: str = "password"
) -> None:
    """Raise Invalid, with the message beside ``field``, unless the password is acceptable."""
    message = problem(password, email=email, display_name=display_name)
    if message:
        raise Invalid("Choose a different password.", {field: message})

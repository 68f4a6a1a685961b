"""The write path stays in one place: views never commit, services never act for nobody."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grid_app

PACKAGE = Path(grid_app.__file__).parent
# Where a transaction may end: the write helper, the error pages' clean-up, command-line
# commands, and the mail sender's and scheduled seal's own background transactions.
MAY_COMMIT = {
    "web/writes.py",
    "web/errors.py",
    "cli.py",
    "exchange/cli.py",
    "discussion/mail.py",
    "safe_space/schedule.py",
}
TRANSACTION_END = re.compile(r"\.(commit|rollback)\(\)")


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_only_the_write_helper_the_cli_and_the_mailer_end_transactions() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in _modules()
        if path.relative_to(PACKAGE).as_posix() not in MAY_COMMIT
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if TRANSACTION_END.search(line)
    ]
    assert offenders == [], "Commit through grid_app.web.writes instead:\n" + "\n".join(offenders)


def test_no_function_lets_a_missing_actor_act() -> None:
    """``actor`` is a User (or the explicit OPERATOR at the command line), never None.

    The one exception is the audit log, which also records failed sign-ins by addresses
    nobody holds; it grants nothing. (mypy refuses a None default for a parameter whose
    annotation has no None, so the annotation is all there is to check.)
    """
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            place = f"{path.relative_to(PACKAGE).as_posix()}:{node.name}"
            if place == "audit/service.py:record":
                continue
            for arg in [*node.args.args, *node.args.kwonlyargs]:
                if arg.arg != "actor":
                    continue
                annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                if not annotation or "None" in annotation:
                    offenders.append(f"{place}({arg.arg}: {annotation or 'no annotation'})")
    assert offenders == [], "Take actor: User (or Actor for the command line):\n" + "\n".join(
        offenders
    )

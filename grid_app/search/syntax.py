"""What people type in the search box, read once and said to each database in its own words.

The rules are those of web search engines (and PostgreSQL's ``websearch_to_tsquery``): words
must all appear, "quoted words" must appear together in that order, ``-word`` must not
appear, and ``or`` between two parts accepts either. Anything else (punctuation, stray
quotes) only separates words, so no input is ever a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A word: letters and digits of any script (accents are the databases' to ignore).
_WORD = re.compile(r"[^\W_]+")
_PART = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Suggestions try the word being typed as the start of a longer one, and also without its
# last few letters, since the index holds stems: "mentorin" is found as "mentor".
_SHORTEST_STEM = 4
_LETTERS_TRIMMED = 3


@dataclass(frozen=True)
class Term:
    """One word or quoted phrase; ``prefix`` for a word still being typed."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass
class Clause:
    """Terms that must all appear, and terms that must not."""

    must: list[Term] = field(default_factory=list)
    must_not: list[Term] = field(default_factory=list)


@dataclass
class Query:
    """Clauses of which any may match. Empty when nothing was typed worth looking for."""

    clauses: list[Clause]

    @property
    def is_empty(self) -> bool:
        """True when the query would find nothing because it asks for no word."""
        return not self.clauses

    @property
    def words(self) -> list[str]:
        """Every word the query looks for, in order (for messages)."""
        return [w for c in self.clauses for t in c.must for w in t.words]

    def fts5(self) -> str:
        """The query in SQLite FTS5's syntax, every word quoted."""
        return " OR ".join(f"({_fts5_clause(c)})" for c in self.clauses)

    def websearch(self, clauses: list[Clause] | None = None) -> str:
        """The query (or some of its clauses) for PostgreSQL's ``websearch_to_tsquery``,
        rebuilt from what was read so both databases answer the same question. A word still
        being typed is left to ``prefix``."""
        return " or ".join(
            _websearch_clause(c) for c in (self.clauses if clauses is None else clauses)
        )

    @property
    def prefix(self) -> str | None:
        """For PostgreSQL's ``to_tsquery``: the word still being typed (always in the last
        clause), with its shortened forms as alternatives; None if there is none."""
        for term in self.clauses[-1].must if self.clauses else []:
            if term.prefix:
                return " | ".join(f"{w}:*" for w in _stems(term.words[0]))
        return None


def parse(typed: str, *, typing: bool = False) -> Query:
    """Read a search. With ``typing``, the last word (if the text does not end in a space)
    is taken as the start of a word."""
    clauses = [Clause()]
    parts = list(_PART.finditer(typed))
    for index, part in enumerate(parts):
        negated, phrase, bare = part.group(1), part.group(2), part.group(3)
        if bare is not None and bare.lower() == "or":
            clauses.append(Clause())
            continue
        if bare is not None and bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        words = tuple(w.lower() for w in _WORD.findall(phrase if phrase is not None else bare))
        if not words:
            continue
        last = index == len(parts) - 1 and not typed[part.end() :].strip(" ")
        prefix = (
            typing
            and last
            and bare is not None
            and not negated
            and len(words) == 1
            and not typed.endswith(" ")
        )
        term = Term(words, prefix=prefix)
        (clauses[-1].must_not if negated else clauses[-1].must).append(term)
    # A clause that only says what to leave out would ask for everything else.
    return Query([c for c in clauses if c.must])


def _stems(word: str) -> list[str]:
    shortened = [word[:-n] for n in range(1, _LETTERS_TRIMMED + 1)]
    return [word] + [w for w in shortened if len(w) >= _SHORTEST_STEM]


def _fts5_term(term: Term) -> str:
    if term.prefix:
        return "(" + " OR ".join(f'"{w}"*' for w in _stems(term.words[0])) + ")"
    return '"' + " ".join(term.words) + '"'


def _fts5_clause(clause: Clause) -> str:
    text = " AND ".join(_fts5_term(t) for t in clause.must)
    for term in clause.must_not:
        text += f" NOT {_fts5_term(term)}"
    return text


def _websearch_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"' if len(term.words) > 1 else term.words[0]


def _websearch_clause(clause: Clause) -> str:
    words = [_websearch_term(t) for t in clause.must if not t.prefix]
    words += [f"-{_websearch_term(t)}" for t in clause.must_not]
    return " ".join(words)

"""The full-text indexes search reads, kept by the databases themselves.

SQLite: an FTS5 table per searched source, reading its text from the source table (external
content), with triggers that index every insert, update and delete of that text in the same
transaction as the write. PostgreSQL: a stored ``tsvector`` column per source, generated from
its text, with a GIN index. Either way a write the ORM never sees (a redaction, an erasure,
plain SQL) is indexed all the same, and a migration builds the indexes for existing rows.

Both sides read words alike: case and accents ignored, English stemming ("mentors" finds
"mentoring"), no stop words dropped. Safe-space contributions, themes and session text are
never indexed: they are not sources.

A migration that rebuilds a source table on SQLite (batch mode) drops these triggers and must
create them again (``sqlite_statements``) and rebuild the index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import DDL, Connection, event

from grid_app.database import Base


@dataclass(frozen=True)
class Source:
    """A table whose text is searched: its index's name and the column it reads."""

    table: str
    index: str
    column: str
    # Only rows meeting this SQL condition are indexed on SQLite (and searched on both);
    # "{row}" stands for the row's table or a trigger's new or old row.
    only: str = ""


SOURCES = (
    Source("cell", "search_cell", "text"),
    Source("comment", "search_comment", "body"),
    Source("gap_flag", "search_flag", "what_is_missing"),
    # A flag's first step repeats what is missing as its note: found as the flag itself.
    Source("gap_flag_event", "search_flag_note", "note", only="{row}kind <> 'raised'"),
    Source("cell_revision", "search_revision", "text"),
)

# The PostgreSQL text search configuration: words lose their accents, then are stemmed as
# English; nothing is dropped as a stop word, as SQLite's porter tokenizer drops nothing.
CONFIG = "grid_search"
VECTOR = "search_vector"
# PostgreSQL's parser reads "<b>" as a tag and leaves it out; SQLite reads the word in it.
# Reading angle brackets as spaces makes both find the words of any markup that was typed.
_READ_AS_WORDS = "translate({column}, '<>', '  ')"

POSTGRES_SETUP = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    f"""DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'grid_stem') THEN
        CREATE TEXT SEARCH DICTIONARY grid_stem (TEMPLATE = snowball, Language = english);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
            WITH unaccent, grid_stem;
    END IF;
END $$""",
)


def vector_of(column: str) -> str:
    """The PostgreSQL expression that turns ``column``'s text into search terms."""
    return f"to_tsvector('{CONFIG}'::regconfig, {_READ_AS_WORDS.format(column=column)})"


def postgres_statements(source: Source) -> Iterator[str]:
    """What PostgreSQL needs to search ``source``: its generated column and GIN index."""
    yield (
        f"ALTER TABLE {source.table} ADD COLUMN {VECTOR} tsvector "
        f"GENERATED ALWAYS AS ({vector_of(source.column)}) STORED"
    )
    yield f"CREATE INDEX ix_{source.index} ON {source.table} USING gin ({VECTOR})"


def sqlite_statements(source: Source) -> Iterator[str]:
    """What SQLite needs to search ``source``: its FTS5 table and the triggers that keep it.

    With ``only``, the index reads its rows through a view holding just those, so that a
    rebuild indexes the same rows as the triggers do.
    """
    t, i, c = source.table, source.index, source.column
    content = t
    if source.only:
        content = f"{i}_content"
        yield f"CREATE VIEW {content} AS SELECT id, {c} FROM {t} WHERE {source.only.format(row='')}"
    yield (
        f"CREATE VIRTUAL TABLE {i} USING fts5({c}, content='{content}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    # Whether a row is indexed never changes (the condition reads what is never changed),
    # so an update forgets and adds the same rows.
    new_only = f" WHEN {source.only.format(row='new.')}" if source.only else ""
    old_only = f" WHEN {source.only.format(row='old.')}" if source.only else ""
    add = f"INSERT INTO {i} (rowid, {c}) VALUES (new.id, new.{c});"
    # An external-content index forgets a row only when told exactly what it held.
    forget = f"INSERT INTO {i} ({i}, rowid, {c}) VALUES ('delete', old.id, old.{c});"
    yield f"CREATE TRIGGER {i}_insert AFTER INSERT ON {t}{new_only} BEGIN {add} END"
    yield f"CREATE TRIGGER {i}_delete AFTER DELETE ON {t}{old_only} BEGIN {forget} END"
    yield f"CREATE TRIGGER {i}_update AFTER UPDATE OF {c} ON {t}{old_only} BEGIN {forget} {add} END"


def rebuild(connection: Connection) -> None:
    """Build every search index again from the text its source holds now."""
    if connection.dialect.name == "postgresql":
        for source in SOURCES:
            connection.exec_driver_sql(f"REINDEX INDEX ix_{source.index}")
    else:
        for source in SOURCES:
            connection.exec_driver_sql(
                f"INSERT INTO {source.index} ({source.index}) VALUES ('rebuild')"
            )


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, _: Any) -> bool:
    """For Alembic's comparison with the models: leave out what this module adds, which
    the models do not describe (FTS5 tables and their shadow tables, the generated columns
    and their indexes)."""
    if not name:
        return True
    if type_ == "table" and reflected and name.startswith("search_"):
        return False
    if type_ == "column" and name == VECTOR:
        return False
    return not (type_ == "index" and reflected and name.startswith("ix_search_"))


def install() -> None:
    """Have ``create_all`` build the search indexes with the tables they read."""
    tables = Base.metadata.tables
    for statement in POSTGRES_SETUP:
        event.listen(
            Base.metadata, "before_create", DDL(statement).execute_if(dialect="postgresql")
        )
    for source in SOURCES:
        for statement in postgres_statements(source):
            event.listen(
                tables[source.table],
                "after_create",
                DDL(statement).execute_if(dialect="postgresql"),
            )
        for statement in sqlite_statements(source):
            event.listen(
                tables[source.table], "after_create", DDL(statement).execute_if(dialect="sqlite")
            )
        # drop_all knows nothing of the FTS5 tables: they go with the tables they read.
        for statement in (
            f"DROP TABLE IF EXISTS {source.index}",
            f"DROP VIEW IF EXISTS {source.index}_content",
        ):
            event.listen(
                tables[source.table], "after_drop", DDL(statement).execute_if(dialect="sqlite")
            )

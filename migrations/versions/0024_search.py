"""Full-text search: FTS5 tables kept by triggers on SQLite, generated tsvector columns with
GIN indexes on PostgreSQL, built for the text already there

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 21:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


# Written out here, as the app's schema module had them, so this migration stays as it was.
# (table, index, column, which rows: {row} is the table or a trigger's new. or old.)
SOURCES = (
    ('cell', 'search_cell', 'text', ''),
    ('comment', 'search_comment', 'body', ''),
    ('gap_flag', 'search_flag', 'what_is_missing', ''),
    # A flag's first step repeats what is missing as its note: found as the flag itself.
    ('gap_flag_event', 'search_flag_note', 'note', "{row}kind <> 'raised'"),
    ('cell_revision', 'search_revision', 'text', ''),
)
POSTGRES_SETUP = (
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'grid_stem') THEN
        CREATE TEXT SEARCH DICTIONARY grid_stem (TEMPLATE = snowball, Language = english);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'grid_search') THEN
        CREATE TEXT SEARCH CONFIGURATION grid_search (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION grid_search
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
            WITH unaccent, grid_stem;
    END IF;
END $$""",
)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRES_SETUP:
            op.execute(statement)
        for table, index, column, _only in SOURCES:
            # Adding a generated column fills it for every row already there.
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
                f"(to_tsvector('grid_search'::regconfig, translate({column}, '<>', '  '))) STORED"
            )
            op.execute(f'CREATE INDEX ix_{index} ON {table} USING gin (search_vector)')
        return
    for table, index, column, only in SOURCES:
        content = table
        if only:
            content = f'{index}_content'
            op.execute(
                f"CREATE VIEW {content} AS SELECT id, {column} FROM {table} "
                f"WHERE {only.format(row='')}"
            )
        op.execute(
            f"CREATE VIRTUAL TABLE {index} USING fts5({column}, content='{content}', "
            "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
        )
        new_only = f" WHEN {only.format(row='new.')}" if only else ''
        old_only = f" WHEN {only.format(row='old.')}" if only else ''
        add = f'INSERT INTO {index} (rowid, {column}) VALUES (new.id, new.{column});'
        forget = (
            f"INSERT INTO {index} ({index}, rowid, {column}) "
            f"VALUES ('delete', old.id, old.{column});"
        )
        op.execute(
            f'CREATE TRIGGER {index}_insert AFTER INSERT ON {table}{new_only} BEGIN {add} END'
        )
        op.execute(
            f'CREATE TRIGGER {index}_delete AFTER DELETE ON {table}{old_only} BEGIN {forget} END'
        )
        op.execute(
            f'CREATE TRIGGER {index}_update AFTER UPDATE OF {column} ON {table}{old_only} '
            f'BEGIN {forget} {add} END'
        )
        # The text already there.
        op.execute(f"INSERT INTO {index} ({index}) VALUES ('rebuild')")


def downgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table, index, _column, only in SOURCES:
        if postgres:
            op.execute(f'DROP INDEX IF EXISTS ix_{index}')
            op.execute(f'ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector')
        else:
            for suffix in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {index}_{suffix}')
            op.execute(f'DROP TABLE IF EXISTS {index}')
            if only:
                op.execute(f'DROP VIEW IF EXISTS {index}_content')

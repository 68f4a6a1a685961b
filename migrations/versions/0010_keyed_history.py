"""Keyed history: revisions re-sealed with HISTORY_KEY, a head for each cell, and triggers that refuse to rewrite history

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 09:12:40.318207

Every chain hash becomes an HMAC keyed with the app's HISTORY_KEY (read from the running
app's configuration; it is never stored in the database). A revision whose hash did not
verify before keeps its hash, so a break that verify-history reported before is still
reported after. The hashing below is a frozen copy of grid_app/grid/history.py as of this
migration.
"""
import hashlib
import hmac
import json

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 5000
HISTORY_TABLES = ("cell_revision", "grid_change")

revisions = sa.table(
    "cell_revision",
    sa.column("id", sa.Integer()),
    sa.column("cell_id", sa.Integer()),
    sa.column("number", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("author_id", sa.Integer()),
    sa.column("created_at", sa.DateTime()),
    sa.column("summary", sa.String()),
    sa.column("content_hash", sa.String()),
    sa.column("chain_hash", sa.String()),
)
cells = sa.table("cell", sa.column("id", sa.Integer()), sa.column("text", sa.Text()))
owners = sa.table("cell_owner", sa.column("cell_id", sa.Integer()), sa.column("user_id", sa.Integer()))
heads = sa.table(
    "cell_head",
    sa.column("cell_id", sa.Integer()),
    sa.column("revisions", sa.Integer()),
    sa.column("mac", sa.String()),
)

PG_FUNCTION = """CREATE OR REPLACE FUNCTION refuse_history_rewrite() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM history_permit WHERE txid = txid_current()) THEN
        RAISE EXCEPTION USING
            MESSAGE = TG_TABLE_NAME || ' rows are append-only',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$"""


def upgrade():
    op.create_table('cell_head',
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('revisions', sa.Integer(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_cell_head_cell_id_cell'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cell_id', name=op.f('pk_cell_head'))
    )
    op.create_table('history_permit',
    sa.Column('txid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('txid', name=op.f('pk_history_permit'))
    )

    key = str(current_app.config["HISTORY_KEY"]).encode()
    newest = _reseal(_sha256, lambda payload: hmac.new(key, payload, hashlib.sha256).hexdigest())
    _write_heads(newest, key)
    _create_triggers()


def downgrade():
    _drop_triggers()
    key = str(current_app.config["HISTORY_KEY"]).encode()
    _reseal(lambda payload: hmac.new(key, payload, hashlib.sha256).hexdigest(), _sha256)
    op.drop_table('history_permit')
    op.drop_table('cell_head')


def _sha256(payload):
    return hashlib.sha256(payload).hexdigest()


def _reseal(old_hash, new_hash):
    """Rewrite every chain hash from ``old_hash`` to ``new_hash``, each cell's chain in order,
    in batches. A revision whose hash does not verify under ``old_hash`` keeps its hash, so
    it does not verify under ``new_hash`` either. Returns each cell's (number of revisions,
    newest chain hash)."""
    bind = op.get_bind()
    update = (
        revisions.update()
        .where(revisions.c.id == sa.bindparam("b_id"))
        .values(chain_hash=sa.bindparam("b_hash"))
    )
    newest = {}
    after = (-1, -1)
    cell_id, stored_before, written_before = None, GENESIS, GENESIS
    while True:
        batch = bind.execute(
            sa.select(revisions)
            .where(sa.tuple_(revisions.c.cell_id, revisions.c.number) > sa.tuple_(*after))
            .order_by(revisions.c.cell_id, revisions.c.number)
            .limit(BATCH)
        ).all()
        if not batch:
            return newest
        changes = []
        for row in batch:
            if row.cell_id != cell_id:
                cell_id, stored_before, written_before = row.cell_id, GENESIS, GENESIS
            written = row.chain_hash
            if old_hash(_payload(stored_before, row)) == row.chain_hash:
                written = new_hash(_payload(written_before, row))
                changes.append({"b_id": row.id, "b_hash": written})
            stored_before, written_before = row.chain_hash, written
            count = newest.get(row.cell_id, (0, GENESIS))[0]
            newest[row.cell_id] = (count + 1, written)
        if changes:
            bind.execute(update, changes)
        after = (batch[-1].cell_id, batch[-1].number)


def _payload(previous, row):
    return json.dumps(
        [
            previous,
            row.cell_id,
            row.number,
            row.kind,
            row.author_id,
            row.created_at.isoformat(),
            row.summary,
            row.content_hash,
        ],
        separators=(",", ":"),
    ).encode()


def _content_hash(text, owner_ids):
    payload = json.dumps({"text": text, "owners": sorted(owner_ids)}, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _write_heads(newest, key):
    """Seal each cell's head over its history and what it holds now (count 0 without one)."""
    bind = op.get_bind()
    owner_ids = {}
    for cell_id, user_id in bind.execute(sa.select(owners.c.cell_id, owners.c.user_id)):
        owner_ids.setdefault(cell_id, []).append(user_id)
    rows = []
    for cell_id, text in bind.execute(sa.select(cells.c.id, cells.c.text)):
        count, chain = newest.get(cell_id, (0, GENESIS))
        content = _content_hash(text, owner_ids.get(cell_id, []))
        payload = json.dumps(["head", cell_id, count, chain, content], separators=(",", ":"))
        mac = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
        rows.append({"cell_id": cell_id, "revisions": count, "mac": mac})
    for begin in range(0, len(rows), BATCH):
        bind.execute(heads.insert(), rows[begin : begin + BATCH])


def _create_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in HISTORY_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite()"
            )
        return
    for table in HISTORY_TABLES:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                "WHEN NOT EXISTS (SELECT 1 FROM history_permit) "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )


def _drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        for table in HISTORY_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_history_rewrite()")
        return
    for table in HISTORY_TABLES:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{verb}")

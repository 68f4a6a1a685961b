"""Erasure: when a person was erased, and a trigger that refuses to delete anyone named in the history

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 11:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# A frozen copy of grid_app/grid/models.py's KEEP_HISTORY_AUTHORS_TRIGGERS as of this migration.
NAMED_IN_HISTORY = (
    "EXISTS (SELECT 1 FROM cell_revision WHERE author_id = OLD.id) "
    "OR EXISTS (SELECT 1 FROM cell_owner WHERE user_id = OLD.id) "
    "OR EXISTS (SELECT 1 FROM grid_change WHERE author_id = OLD.id)"
)
PG_FUNCTION = f"""CREATE OR REPLACE FUNCTION refuse_deleting_history_people() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {NAMED_IN_HISTORY} THEN
        RAISE EXCEPTION USING
            MESSAGE = 'people named in the history are erased, never deleted',
            ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END
$$"""


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER user_account_keeps_history BEFORE DELETE ON user_account "
            "FOR EACH ROW EXECUTE FUNCTION refuse_deleting_history_people()"
        )
    else:
        op.execute(
            "CREATE TRIGGER user_account_keeps_history BEFORE DELETE ON user_account "
            f"WHEN {NAMED_IN_HISTORY} "
            "BEGIN SELECT RAISE(ABORT, 'people named in the history are erased, never deleted'); "
            "END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER user_account_keeps_history ON user_account")
        op.execute("DROP FUNCTION refuse_deleting_history_people()")
    else:
        op.execute("DROP TRIGGER user_account_keeps_history")
    # Not a batch rebuild: on SQLite that drops user_account, which would null the authors
    # of append-only revisions. Both databases drop a column in place.
    op.execute("ALTER TABLE user_account DROP COLUMN erased_at")

"""Anonymous contributions wait unseen and are sealed into the board in shuffled batches; no rowid orders them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:20:00.000000

Contributions already stored are rewritten in the order of their random keys, all in this
one transaction, as a seal would write them. On SQLite the contribution table is rebuilt
WITHOUT ROWID, since its rowids numbered contributions in the order they were written.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = (
    "id, session_id, anonymous, author_id, body, theme_id, hidden, edited, withdrawn, "
    "receipt_hash"
)
INDEXED = ("author_id", "session_id", "theme_id")


def _contribution_table(name, rowid):
    op.create_table(name,
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name='fk_safe_space_contribution_author_id_user_account', ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name='fk_safe_space_contribution_session_id_safe_space_session', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['safe_space_theme.id'], name='fk_safe_space_contribution_theme_id_safe_space_theme', ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name='pk_safe_space_contribution'),
    sa.UniqueConstraint('receipt_hash', name='uq_safe_space_contribution_receipt_hash'),
    sqlite_with_rowid=rowid,
    )


def _rewrite_contributions(rowid):
    if op.get_bind().dialect.name == "sqlite":
        # SQLite names no index after a constraint, so the new table can take the old
        # names once the old indexes are gone.
        for column in INDEXED:
            op.drop_index(f"ix_safe_space_contribution_{column}", "safe_space_contribution")
        op.rename_table("safe_space_contribution", "safe_space_contribution_old")
        _contribution_table("safe_space_contribution", rowid)
        op.execute(
            f"INSERT INTO safe_space_contribution ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM safe_space_contribution_old ORDER BY id"
        )
        op.drop_table("safe_space_contribution_old")
        for column in INDEXED:
            op.create_index(
                f"ix_safe_space_contribution_{column}", "safe_space_contribution", [column]
            )
    else:
        # Written again in one transaction, in key order: one transaction id for all, and
        # no order but the random keys'.
        op.execute(
            f"CREATE TEMPORARY TABLE contribution_copy AS "
            f"SELECT {COLUMNS} FROM safe_space_contribution"
        )
        op.execute("DELETE FROM safe_space_contribution")
        op.execute(
            f"INSERT INTO safe_space_contribution ({COLUMNS}) "
            f"SELECT {COLUMNS} FROM contribution_copy ORDER BY id"
        )
        op.execute("DROP TABLE contribution_copy")


def upgrade():
    op.create_table('safe_space_waiting',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name=op.f('fk_safe_space_waiting_session_id_safe_space_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_waiting')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_safe_space_waiting_receipt_hash')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('safe_space_waiting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_waiting_session_id'), ['session_id'], unique=False)
    _rewrite_contributions(rowid=False)


def downgrade():
    # Waiting contributions have not been seen by anyone; they go with their table.
    with op.batch_alter_table('safe_space_waiting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_waiting_session_id'))
    op.drop_table('safe_space_waiting')
    _rewrite_contributions(rowid=True)

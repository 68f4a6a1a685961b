"""Indexes for the dashboard's weekly charts: gap flag steps by time, and the revisions that
left a cell empty (a partial index, so it holds only those few).

No other schema change: a "review" revision is a new value of cell_revision.kind, a plain
string column with no check constraint, and the review period already lives on the grid.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 22:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


EMPTIED = "text = '' AND CAST(owner_ids AS TEXT) = '[]'"


def upgrade():
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.create_index('ix_gap_flag_event_created_at', ['created_at'], unique=False)
    op.create_index(
        'ix_cell_revision_emptied',
        'cell_revision',
        ['grid_id', 'cell_id', 'created_at'],
        unique=False,
        sqlite_where=sa.text(EMPTIED),
        postgresql_where=sa.text(EMPTIED),
    )


def downgrade():
    op.drop_index('ix_cell_revision_emptied', table_name='cell_revision')
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.drop_index('ix_gap_flag_event_created_at')

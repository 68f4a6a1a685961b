"""Index gap flag steps by time, for the dashboard's open flags per week.

No other schema change: a "review" revision is a new value of cell_revision.kind, a plain
string column with no check constraint, and the review period already lives on the grid.

Revision ID: 0006_dashboard
Revises: 0005
Create Date: 2026-11-28 22:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_dashboard'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.create_index('ix_gap_flag_event_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.drop_index('ix_gap_flag_event_created_at')

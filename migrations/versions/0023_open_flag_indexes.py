"""Indexes for the dashboard's gap flags: partial indexes of open flags (by cell and
severity with their due dates, and by severity then age), a flag's severity by its id, and a
grid's flag steps by time holding what the weekly chart counts

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 16:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


OPEN_WHERE = "status IN ('open', 'acknowledged', 'in_progress')"


def upgrade():
    # Indexes only, so no table is copied (the steps' append-only triggers stay as they are).
    op.drop_index('ix_gap_flag_event_grid_id_created_at', table_name='gap_flag_event')
    op.create_index(
        'ix_gap_flag_event_grid_steps',
        'gap_flag_event',
        ['grid_id', 'created_at', 'flag_id', 'from_status', 'to_status'],
        unique=False,
    )
    op.create_index('ix_gap_flag_id_severity', 'gap_flag', ['id', 'severity'], unique=False)
    op.create_index(
        'ix_gap_flag_open_by_cell',
        'gap_flag',
        ['grid_id', 'cell_id', 'severity', 'due_date'],
        unique=False,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )
    op.create_index(
        'ix_gap_flag_open_by_severity',
        'gap_flag',
        ['grid_id', 'severity', 'created_at', 'id'],
        unique=False,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )


def downgrade():
    op.drop_index('ix_gap_flag_open_by_severity', table_name='gap_flag')
    op.drop_index('ix_gap_flag_open_by_cell', table_name='gap_flag')
    op.drop_index('ix_gap_flag_id_severity', table_name='gap_flag')
    op.drop_index('ix_gap_flag_event_grid_steps', table_name='gap_flag_event')
    op.create_index(
        'ix_gap_flag_event_grid_id_created_at', 'gap_flag_event', ['grid_id', 'created_at'], unique=False
    )

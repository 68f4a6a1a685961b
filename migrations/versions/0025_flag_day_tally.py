"""Open gap flags counted for the dashboard: each day's net change in a grid's open flags by
severity, and each cell's open flags by severity, counted here from what is already there; the
indexes the dashboard no longer reads give way to one of overdue flags and the activity
feed's own

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


OPEN = "('open', 'acknowledged', 'in_progress')"
OPEN_WHERE = f"status IN {OPEN}"
INTO_OPEN = f"(e.to_status IN {OPEN} AND (e.from_status IS NULL OR e.from_status NOT IN {OPEN}))"
OUT_OF_OPEN = f"(e.from_status IN {OPEN} AND e.to_status NOT IN {OPEN})"


def upgrade():
    op.create_table('flag_day_tally',
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('net', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_flag_day_tally_grid_id_grid'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('grid_id', 'day', 'severity', name=op.f('pk_flag_day_tally'))
    )
    # date() reads a day from a time on both databases.
    op.execute(
        "INSERT INTO flag_day_tally (grid_id, day, severity, net) "
        f"SELECT e.grid_id, date(e.created_at), f.severity, "
        f"sum(CASE WHEN {INTO_OPEN} THEN 1 ELSE -1 END) "
        "FROM gap_flag_event e JOIN gap_flag f ON f.id = e.flag_id "
        f"WHERE {INTO_OPEN} OR {OUT_OF_OPEN} "
        "GROUP BY e.grid_id, date(e.created_at), f.severity"
    )
    for severity in ('medium', 'low'):
        op.add_column(
            'cell_flag_tally',
            sa.Column(f'open_{severity}', sa.Integer(), nullable=False, server_default='0'),
        )
        op.execute(
            f"UPDATE cell_flag_tally SET open_{severity} = (SELECT count(*) FROM gap_flag f "
            f"WHERE f.cell_id = cell_flag_tally.cell_id AND f.severity = '{severity}' "
            f"AND f.status IN {OPEN})"
        )
    # Indexes only, so no table is copied (the steps' append-only triggers stay as they are).
    op.drop_index('ix_gap_flag_open_by_cell', table_name='gap_flag')
    op.create_index(
        'ix_gap_flag_open_by_due',
        'gap_flag',
        ['grid_id', 'due_date'],
        unique=False,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )
    op.drop_index('ix_gap_flag_id_severity', table_name='gap_flag')
    op.drop_index('ix_gap_flag_event_grid_steps', table_name='gap_flag_event')
    op.create_index(
        'ix_gap_flag_event_grid_id_created_at', 'gap_flag_event', ['grid_id', 'created_at'], unique=False
    )


def downgrade():
    op.drop_index('ix_gap_flag_event_grid_id_created_at', table_name='gap_flag_event')
    op.create_index(
        'ix_gap_flag_event_grid_steps',
        'gap_flag_event',
        ['grid_id', 'created_at', 'flag_id', 'from_status', 'to_status'],
        unique=False,
    )
    op.create_index('ix_gap_flag_id_severity', 'gap_flag', ['id', 'severity'], unique=False)
    op.drop_index('ix_gap_flag_open_by_due', table_name='gap_flag')
    op.create_index(
        'ix_gap_flag_open_by_cell',
        'gap_flag',
        ['grid_id', 'cell_id', 'severity', 'due_date'],
        unique=False,
        sqlite_where=sa.text(OPEN_WHERE),
        postgresql_where=sa.text(OPEN_WHERE),
    )
    with op.batch_alter_table('cell_flag_tally', schema=None) as batch_op:
        batch_op.drop_column('open_low')
        batch_op.drop_column('open_medium')
    op.drop_table('flag_day_tally')

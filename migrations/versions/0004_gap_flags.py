"""Gap flags on cells, and the append-only timeline of each flag.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:57:02.316421

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gap_flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('what_is_missing', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('raised_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name=op.f('ck_gap_flag_severity')),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'in_progress', 'resolved', 'wont_fix')", name=op.f('ck_gap_flag_status')),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_gap_flag_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_gap_flag_grid_id_grid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_gap_flag_owner_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['raised_by_id'], ['user_account.id'], name=op.f('fk_gap_flag_raised_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_flag'))
    )
    with op.batch_alter_table('gap_flag', schema=None) as batch_op:
        batch_op.create_index('ix_gap_flag_cell_id_created_at', ['cell_id', 'created_at'], unique=False)
        batch_op.create_index('ix_gap_flag_grid_id_status', ['grid_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_gap_flag_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gap_flag_raised_by_id'), ['raised_by_id'], unique=False)

    op.create_table('gap_flag_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_gap_flag_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['flag_id'], ['gap_flag.id'], name=op.f('fk_gap_flag_event_flag_id_gap_flag'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_gap_flag_event_owner_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_flag_event'))
    )
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gap_flag_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_gap_flag_event_flag_id_id', ['flag_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.drop_index('ix_gap_flag_event_flag_id_id')
        batch_op.drop_index(batch_op.f('ix_gap_flag_event_actor_id'))

    op.drop_table('gap_flag_event')
    with op.batch_alter_table('gap_flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gap_flag_raised_by_id'))
        batch_op.drop_index(batch_op.f('ix_gap_flag_owner_id'))
        batch_op.drop_index('ix_gap_flag_grid_id_status')
        batch_op.drop_index('ix_gap_flag_cell_id_created_at')

    op.drop_table('gap_flag')

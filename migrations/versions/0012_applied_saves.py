"""Saves remembered by the key of the form they came from, so a repeat is answered as the first

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 10:04:12.512830

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('applied_save',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_applied_save_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revision_id'], ['cell_revision.id'], name=op.f('fk_applied_save_revision_id_cell_revision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_applied_save_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_applied_save'))
    )


def downgrade():
    op.drop_table('applied_save')

"""Retention periods an admin sets for the audit log, sign-in records and notifications

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 11:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_setting',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id'], name=op.f('fk_retention_setting_changed_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_retention_setting'))
    )


def downgrade():
    op.drop_table('retention_setting')

"""Sign-in sessions name the browser and system they started on; a link to change an email address keeps the new address

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=60), server_default='', nullable=False))
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('new_email', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('account_token', schema=None) as batch_op:
        batch_op.drop_column('new_email')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_column('device')

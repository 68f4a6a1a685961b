"""Revisions keep their rendered HTML; one person's revisions are indexed by time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:42:49.000679

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cell_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_cell_revision_author_id'))
        batch_op.create_index('ix_cell_revision_author_id_created_at', ['author_id', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('cell_revision', schema=None) as batch_op:
        batch_op.drop_index('ix_cell_revision_author_id_created_at')
        batch_op.create_index(batch_op.f('ix_cell_revision_author_id'), ['author_id'], unique=False)
        batch_op.drop_column('html')


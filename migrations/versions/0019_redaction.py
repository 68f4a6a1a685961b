"""Redaction: requests to replace a revision's or a comment's words with a notice, approved by a second admin and sealed with the history key

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 11:49:33.568858

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('redaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('cell_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.Column('hidden_text', sa.Text(), nullable=True),
    sa.Column('hidden_html', sa.Text(), nullable=True),
    sa.Column('hidden_earlier', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_redaction_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_redaction_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_redaction_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_redaction_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revision_id'], ['cell_revision.id'], name=op.f('fk_redaction_revision_id_cell_revision'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redaction'))
    )
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.create_index('ix_redaction_cell_id_status', ['cell_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redaction_status'), ['status'], unique=False)

def downgrade():
    with op.batch_alter_table('redaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redaction_status'))
        batch_op.drop_index(batch_op.f('ix_redaction_revision_id'))
        batch_op.drop_index(batch_op.f('ix_redaction_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_redaction_comment_id'))
        batch_op.drop_index('ix_redaction_cell_id_status')

    op.drop_table('redaction')

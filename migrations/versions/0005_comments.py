"""Threaded comments on cells, and the append-only earlier wordings of each comment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:34:00.574322

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_comment_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_comment_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_comment_grid_id_grid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'], name=op.f('fk_comment_resolved_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_comment_cell_id_created_at', ['cell_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_grid_id_resolved_at', ['grid_id', 'resolved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_resolved_by_id'), ['resolved_by_id'], unique=False)

    op.create_table('comment_edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_comment_edit_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['editor_id'], ['user_account.id'], name=op.f('fk_comment_edit_editor_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_edit'))
    )
    with op.batch_alter_table('comment_edit', schema=None) as batch_op:
        batch_op.create_index('ix_comment_edit_comment_id_id', ['comment_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_edit_editor_id'), ['editor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('comment_edit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_edit_editor_id'))
        batch_op.drop_index('ix_comment_edit_comment_id_id')

    op.drop_table('comment_edit')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_resolved_by_id'))
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))
        batch_op.drop_index('ix_comment_grid_id_resolved_at')
        batch_op.drop_index('ix_comment_cell_id_created_at')
        batch_op.drop_index(batch_op.f('ix_comment_author_id'))

    op.drop_table('comment')

"""History: the grid's structural changes, and indexes for the feed, grid-as-of and live poll.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:05:43.239063

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grid_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=True),
    sa.Column('column_id', sa.Integer(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('undoes_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_grid_change_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['column_id'], ['grid_column.id'], name=op.f('fk_grid_change_column_id_grid_column'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_grid_change_grid_id_grid'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['row_id'], ['grid_row.id'], name=op.f('fk_grid_change_row_id_grid_row'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undoes_id'], ['grid_change.id'], name=op.f('fk_grid_change_undoes_id_grid_change'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_change'))
    )
    with op.batch_alter_table('grid_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_change_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_change_column_id'), ['column_id'], unique=False)
        batch_op.create_index('ix_grid_change_grid_id_created_at', ['grid_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_grid_change_row_id'), ['row_id'], unique=False)

    # Existing revisions take their grid from their cell before the column becomes required.
    with op.batch_alter_table('cell_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE cell_revision SET grid_id = "
        "(SELECT cell.grid_id FROM cell WHERE cell.id = cell_revision.cell_id)"
    )
    with op.batch_alter_table('cell_revision', schema=None) as batch_op:
        batch_op.alter_column('grid_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f('ix_cell_revision_created_at'))
        batch_op.create_index('ix_cell_revision_cell_id_created_at', ['cell_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cell_revision_grid_id_created_at', ['grid_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cell_revision_grid_id_id', ['grid_id', 'id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cell_revision_grid_id_grid'), 'grid', ['grid_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('structure_version', sa.Integer(), nullable=False, server_default='1')
        )

    with op.batch_alter_table('grid_column', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE grid_column SET created_at = (SELECT grid.created_at FROM grid WHERE grid.id = grid_column.grid_id)"
    )
    with op.batch_alter_table('grid_column', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table('grid_row', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE grid_row SET created_at = (SELECT grid.created_at FROM grid WHERE grid.id = grid_row.grid_id)"
    )
    with op.batch_alter_table('grid_row', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(), nullable=False)



def downgrade():
    with op.batch_alter_table('grid_row', schema=None) as batch_op:
        batch_op.drop_column('created_at')

    with op.batch_alter_table('grid_column', schema=None) as batch_op:
        batch_op.drop_column('created_at')

    with op.batch_alter_table('grid', schema=None) as batch_op:
        batch_op.drop_column('structure_version')

    with op.batch_alter_table('cell_revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cell_revision_grid_id_grid'), type_='foreignkey')
        batch_op.drop_index('ix_cell_revision_grid_id_id')
        batch_op.drop_index('ix_cell_revision_grid_id_created_at')
        batch_op.drop_index('ix_cell_revision_cell_id_created_at')
        batch_op.create_index(batch_op.f('ix_cell_revision_created_at'), ['created_at'], unique=False)
        batch_op.drop_column('grid_id')

    with op.batch_alter_table('grid_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_change_row_id'))
        batch_op.drop_index('ix_grid_change_grid_id_created_at')
        batch_op.drop_index(batch_op.f('ix_grid_change_column_id'))
        batch_op.drop_index(batch_op.f('ix_grid_change_author_id'))

    op.drop_table('grid_change')

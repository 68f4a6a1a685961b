"""Sharing-practice categories of service areas and uploads awaiting import

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:58:58.408107

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_upload',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=True),
    sa.Column('new_grid_name', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_import_upload_created_by_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_import_upload_grid_id_grid'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_upload'))
    )
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_upload_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_upload_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_upload_grid_id'), ['grid_id'], unique=False)

    op.create_table('service_area_category',
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.CheckConstraint("category IN ('organisation', 'children-families', 'communities', 'partners', 'research')", name=op.f('ck_service_area_category_category')),
    sa.ForeignKeyConstraint(['row_id'], ['grid_row.id'], name=op.f('fk_service_area_category_row_id_grid_row'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('row_id', 'category', name=op.f('pk_service_area_category'))
    )


def downgrade():
    op.drop_table('service_area_category')
    with op.batch_alter_table('import_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_upload_grid_id'))
        batch_op.drop_index(batch_op.f('ix_import_upload_expires_at'))
        batch_op.drop_index(batch_op.f('ix_import_upload_created_by_id'))

    op.drop_table('import_upload')

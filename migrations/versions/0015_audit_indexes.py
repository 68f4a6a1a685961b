"""Indexes for the audit log's pages (newest first by time and id) and its person filter

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 20:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_created_at_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(
            'ix_audit_event_target_type_target_id', ['target_type', 'target_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_target_type_target_id')
        batch_op.drop_index('ix_audit_event_created_at_id')

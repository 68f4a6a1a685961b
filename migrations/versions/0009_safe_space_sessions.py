"""Safe-space sessions: participants, contributions (named or anonymous), themes, insights and consent

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 01:59:56.715155

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('safe_space_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ground_rules', sa.Text(), nullable=False),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('signposting', sa.Text(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=False),
    sa.Column('facilitator_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('purged_at', sa.DateTime(), nullable=True),
    sa.Column('purged_contribution_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['facilitator_id'], ['user_account.id'], name=op.f('fk_safe_space_session_facilitator_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_session'))
    )
    with op.batch_alter_table('safe_space_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_session_facilitator_id'), ['facilitator_id'], unique=False)

    op.create_table('safe_space_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ground_rules', sa.Text(), nullable=False),
    sa.Column('signposting', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_safe_space_template_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_template'))
    )
    op.create_table('safe_space_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('rules_accepted_version', sa.Integer(), nullable=True),
    sa.Column('rules_accepted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name=op.f('fk_safe_space_participant_session_id_safe_space_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_safe_space_participant_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_participant')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_safe_space_participant_session_id_user_id'))
    )
    with op.batch_alter_table('safe_space_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_participant_user_id'), ['user_id'], unique=False)

    op.create_table('safe_space_theme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('purged_contribution_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name=op.f('fk_safe_space_theme_session_id_safe_space_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_theme'))
    )
    with op.batch_alter_table('safe_space_theme', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_theme_session_id'), ['session_id'], unique=False)

    op.create_table('safe_space_contribution',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('hidden', sa.Boolean(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_safe_space_contribution_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name=op.f('fk_safe_space_contribution_session_id_safe_space_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['safe_space_theme.id'], name=op.f('fk_safe_space_contribution_theme_id_safe_space_theme'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_contribution')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_safe_space_contribution_receipt_hash'))
    )
    with op.batch_alter_table('safe_space_contribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_contribution_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safe_space_contribution_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_safe_space_contribution_theme_id'), ['theme_id'], unique=False)

    op.create_table('safe_space_insight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('group_consent_at', sa.DateTime(), nullable=True),
    sa.Column('group_consent_note', sa.String(length=500), nullable=False),
    sa.Column('group_consent_hash', sa.String(length=64), nullable=True),
    sa.Column('promoted_at', sa.DateTime(), nullable=True),
    sa.Column('cell_id', sa.Integer(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=True),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_safe_space_insight_cell_id_cell'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user_account.id'], name=op.f('fk_safe_space_insight_drafted_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revision_id'], ['cell_revision.id'], name=op.f('fk_safe_space_insight_revision_id_cell_revision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['safe_space_session.id'], name=op.f('fk_safe_space_insight_session_id_safe_space_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['safe_space_theme.id'], name=op.f('fk_safe_space_insight_theme_id_safe_space_theme'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_insight'))
    )
    with op.batch_alter_table('safe_space_insight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_safe_space_insight_session_id'), ['session_id'], unique=False)

    op.create_table('safe_space_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('insight_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['insight_id'], ['safe_space_insight.id'], name=op.f('fk_safe_space_consent_insight_id_safe_space_insight'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_safe_space_consent_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_safe_space_consent')),
    sa.UniqueConstraint('insight_id', 'user_id', name=op.f('uq_safe_space_consent_insight_id_user_id'))
    )


def downgrade():
    op.drop_table('safe_space_consent')
    with op.batch_alter_table('safe_space_insight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_insight_session_id'))

    op.drop_table('safe_space_insight')
    with op.batch_alter_table('safe_space_contribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_contribution_theme_id'))
        batch_op.drop_index(batch_op.f('ix_safe_space_contribution_session_id'))
        batch_op.drop_index(batch_op.f('ix_safe_space_contribution_author_id'))

    op.drop_table('safe_space_contribution')
    with op.batch_alter_table('safe_space_theme', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_theme_session_id'))

    op.drop_table('safe_space_theme')
    with op.batch_alter_table('safe_space_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_participant_user_id'))

    op.drop_table('safe_space_participant')
    op.drop_table('safe_space_template')
    with op.batch_alter_table('safe_space_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_safe_space_session_facilitator_id'))

    op.drop_table('safe_space_session')

"""Mentions, watching, notifications, the mail outbox, and open-thread and open-flag tallies

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 22:23:14.413955

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outgoing_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('digest_key', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('transport', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_outgoing_mail_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outgoing_mail')),
    sa.UniqueConstraint('digest_key', name=op.f('uq_outgoing_mail_digest_key'))
    )
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outgoing_mail_sent_at_next_attempt_at', ['sent_at', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outgoing_mail_user_id'), ['user_id'], unique=False)

    op.create_table('cell_flag_tally',
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('open_flags', sa.Integer(), nullable=False),
    sa.Column('open_high', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_cell_flag_tally_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_cell_flag_tally_grid_id_grid'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cell_id', name=op.f('pk_cell_flag_tally'))
    )
    with op.batch_alter_table('cell_flag_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cell_flag_tally_grid_id'), ['grid_id'], unique=False)

    op.create_table('cell_thread_tally',
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('open_threads', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_cell_thread_tally_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_cell_thread_tally_grid_id_grid'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cell_id', name=op.f('pk_cell_thread_tally'))
    )
    with op.batch_alter_table('cell_thread_tally', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cell_thread_tally_grid_id'), ['grid_id'], unique=False)

    op.create_table('watch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=True),
    sa.Column('row_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(cell_id IS NULL) <> (row_id IS NULL)', name=op.f('ck_watch_one_target')),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_watch_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['row_id'], ['grid_row.id'], name=op.f('fk_watch_row_id_grid_row'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_watch_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watch')),
    sa.UniqueConstraint('user_id', 'cell_id', name=op.f('uq_watch_user_id_cell_id')),
    sa.UniqueConstraint('user_id', 'row_id', name=op.f('uq_watch_user_id_row_id'))
    )
    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_watch_cell_id'), ['cell_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_watch_row_id'), ['row_id'], unique=False)

    op.create_table('mention',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_mention_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mention_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', 'user_id', name=op.f('pk_mention'))
    )
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mention_user_id'), ['user_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('message', sa.String(length=400), nullable=False),
    sa.Column('cell_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('flag_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_notification_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cell_id'], ['cell.id'], name=op.f('fk_notification_cell_id_cell'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_notification_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flag_id'], ['gap_flag.id'], name=op.f('fk_notification_flag_id_gap_flag'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_cell_id'), ['cell_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_flag_id'), ['flag_id'], unique=False)
        batch_op.create_index('ix_notification_user_id_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_notification_user_id_read_at', ['user_id', 'read_at'], unique=False)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_frequency', sa.String(length=12), server_default='immediate', nullable=False))

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_grid_id_created_at', ['grid_id', 'created_at'], unique=False)

    # Each gap flag step carries its flag's grid, for the activity feed's index.
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grid_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE gap_flag_event SET grid_id = "
        "(SELECT gap_flag.grid_id FROM gap_flag WHERE gap_flag.id = gap_flag_event.flag_id)"
    )
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.alter_column('grid_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_gap_flag_event_grid_id_grid'), 'grid', ['grid_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ix_gap_flag_event_grid_id_created_at', ['grid_id', 'created_at'], unique=False)

    # Tally what is already there; the app keeps the tallies current from now on.
    op.execute(
        "INSERT INTO cell_thread_tally (cell_id, grid_id, open_threads) "
        "SELECT c.cell_id, c.grid_id, count(*) FROM comment c "
        "WHERE c.parent_id IS NULL AND c.resolved_at IS NULL AND (c.deleted_at IS NULL "
        "OR EXISTS (SELECT 1 FROM comment r WHERE r.parent_id = c.id)) "
        "GROUP BY c.cell_id, c.grid_id"
    )
    op.execute(
        "INSERT INTO cell_flag_tally (cell_id, grid_id, open_flags, open_high) "
        "SELECT cell_id, grid_id, count(*), sum(CASE WHEN severity = 'high' THEN 1 ELSE 0 END) "
        "FROM gap_flag WHERE status IN ('open', 'acknowledged', 'in_progress') "
        "GROUP BY cell_id, grid_id"
    )


def downgrade():
    with op.batch_alter_table('gap_flag_event', schema=None) as batch_op:
        batch_op.drop_index('ix_gap_flag_event_grid_id_created_at')
        batch_op.drop_constraint(batch_op.f('fk_gap_flag_event_grid_id_grid'), type_='foreignkey')
        batch_op.drop_column('grid_id')

    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_grid_id_created_at')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('email_frequency')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_id_read_at')
        batch_op.drop_index('ix_notification_user_id_id')
        batch_op.drop_index(batch_op.f('ix_notification_flag_id'))
        batch_op.drop_index(batch_op.f('ix_notification_comment_id'))
        batch_op.drop_index(batch_op.f('ix_notification_cell_id'))
        batch_op.drop_index(batch_op.f('ix_notification_actor_id'))

    op.drop_table('notification')
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mention_user_id'))

    op.drop_table('mention')
    with op.batch_alter_table('watch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_watch_row_id'))
        batch_op.drop_index(batch_op.f('ix_watch_cell_id'))

    op.drop_table('watch')
    with op.batch_alter_table('cell_thread_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cell_thread_tally_grid_id'))

    op.drop_table('cell_thread_tally')
    with op.batch_alter_table('cell_flag_tally', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cell_flag_tally_grid_id'))

    op.drop_table('cell_flag_tally')
    with op.batch_alter_table('outgoing_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outgoing_mail_user_id'))
        batch_op.drop_index('ix_outgoing_mail_sent_at_next_attempt_at')

    op.drop_table('outgoing_mail')

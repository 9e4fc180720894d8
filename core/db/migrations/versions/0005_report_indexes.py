"""report and inbox indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

CORRECTIONS = ("action IN ('change_category', 'change_organisation', 'redirect', "
               "'approve_redirect')")


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        # The inbox counters read these columns too: carried in the index, PostgreSQL counts
        # every folder without touching the table.
        batch_op.drop_index('ix_messages_org_status')
        batch_op.create_index(
            'ix_messages_org_status', ['organisation_id', 'status'], unique=False,
            postgresql_include=['executor_organisation_id', 'executor_staff_id', 'answer_due',
                                'moderated_at'])
        batch_op.drop_index('ix_messages_region_status')
        batch_op.create_index('ix_messages_region_status', ['region_id', 'status'], unique=False,
                              postgresql_include=['answer_due', 'moderated_at'])
        batch_op.create_index('ix_messages_region_arrived', ['region_id', 'arrived_at'],
                              unique=False)
        batch_op.create_index('ix_messages_region_due', ['region_id', 'answer_due'],
                              unique=False)
        batch_op.create_index(
            'ix_messages_org_registered', ['organisation_id', 'registered_at'], unique=False,
            postgresql_include=['region_id', 'territory_id', 'status', 'fast_track',
                                'answer_due', 'answered_at'])
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.create_index('ix_message_events_corrections', ['message_id'], unique=False,
                              postgresql_where=sa.text(CORRECTIONS),
                              sqlite_where=sa.text(CORRECTIONS))
        batch_op.create_index('ix_message_events_staff_created',
                              ['actor_staff_id', 'created_at'], unique=False,
                              postgresql_where=sa.text('actor_staff_id IS NOT NULL'),
                              sqlite_where=sa.text('actor_staff_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.drop_index('ix_message_events_staff_created')
        batch_op.drop_index('ix_message_events_corrections')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_org_registered')
        batch_op.drop_index('ix_messages_region_due')
        batch_op.drop_index('ix_messages_region_arrived')
        batch_op.drop_index('ix_messages_region_status')
        batch_op.create_index('ix_messages_region_status', ['region_id', 'status'],
                              unique=False)
        batch_op.drop_index('ix_messages_org_status')
        batch_op.create_index('ix_messages_org_status', ['organisation_id', 'status'],
                              unique=False)

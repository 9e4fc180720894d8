"""inbox: handled-by index on events, full-text search, answer templates

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Must stay the expression core.services.inbox.search uses, or PostgreSQL ignores the index.
SEARCH_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_messages_search ON messages USING gin "
    "(to_tsvector('russian'::regconfig, coalesce(text, '') || ' ' || coalesce(address, '')))"
)


def upgrade() -> None:
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_message_events_from_organisation_id_organisations'),
            'organisations', ['from_organisation_id'], ['id'])
        batch_op.create_index('ix_message_events_handled',
                              ['from_organisation_id', 'action', 'message_id'], unique=False)

    op.create_table('answer_templates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_answer_templates_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['region_id'], ['territories.id'], name=op.f('fk_answer_templates_region_id_territories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_templates'))
    )
    with op.batch_alter_table('answer_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_templates_region_id'), ['region_id'], unique=False)

    # Events written before this column existed: the organisation before an action is the
    # organisation after the message's previous event.
    op.execute(
        "UPDATE message_events SET from_organisation_id = prev.organisation_id "
        "FROM (SELECT id, LAG(organisation_id) OVER (PARTITION BY message_id "
        "ORDER BY created_at, id) AS organisation_id FROM message_events) AS prev "
        "WHERE message_events.id = prev.id AND prev.organisation_id IS NOT NULL "
        "AND message_events.from_organisation_id IS NULL")
    if op.get_bind().dialect.name == 'postgresql':
        # Built without blocking intake on a live database.
        with op.get_context().autocommit_block():
            op.execute(SEARCH_INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_messages_search")
    with op.batch_alter_table('answer_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_templates_region_id'))
    op.drop_table('answer_templates')
    with op.batch_alter_table('message_events', schema=None) as batch_op:
        batch_op.drop_index('ix_message_events_handled')
        batch_op.drop_constraint(
            batch_op.f('fk_message_events_from_organisation_id_organisations'),
            type_='foreignkey')
        batch_op.drop_column('from_organisation_id')

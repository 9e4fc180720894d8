"""conversations and territory centres

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handled_updates',
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('update_id', sa.String(length=64), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('channel', 'update_id', name=op.f('pk_handled_updates'))
    )
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.create_index('ix_handled_updates_at', ['handled_at'], unique=False)

    op.create_table('conversations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('flow', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_conversations_citizen_id_citizens'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_conversations_channel_external_id'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_citizen_id'), ['citizen_id'], unique=False)

    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('center_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('center_lon', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('radius_km', sa.Float(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('territories', schema=None) as batch_op:
        batch_op.drop_column('radius_km')
        batch_op.drop_column('center_lon')
        batch_op.drop_column('center_lat')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_citizen_id'))

    op.drop_table('conversations')
    with op.batch_alter_table('handled_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_handled_updates_at')

    op.drop_table('handled_updates')

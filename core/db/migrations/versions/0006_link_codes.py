"""link codes: one citizen's Telegram and VK accounts joined by a short code

The codes, the identities that joined a citizen by one (``/unlink`` detaches them), and the
refused codes (an identity's hourly limit and the platform-wide ten-minute budget).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 17:38:47
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_codes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_link_codes_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_codes')),
    sa.UniqueConstraint('citizen_id', name=op.f('uq_link_codes_citizen_id')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_link_codes_code_hash'))
    )

    op.create_table('link_joins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('citizen_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_link_joins_citizen_id_citizens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_joins')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_link_joins_channel_external_id'))
    )
    with op.batch_alter_table('link_joins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_joins_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('link_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_failures'))
    )
    with op.batch_alter_table('link_failures', schema=None) as batch_op:
        batch_op.create_index('ix_link_failures_failed_at', ['failed_at'], unique=False)
        batch_op.create_index('ix_link_failures_identity',
                              ['channel', 'external_id', 'failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('link_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_link_failures_identity')
        batch_op.drop_index('ix_link_failures_failed_at')
    op.drop_table('link_failures')
    with op.batch_alter_table('link_joins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_joins_citizen_id'))
    op.drop_table('link_joins')
    op.drop_table('link_codes')

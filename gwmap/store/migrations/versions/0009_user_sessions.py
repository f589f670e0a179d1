"""user sessions: signed-in browsers by the hash of their cookie token, with idle and absolute limits;
users.must_change_password (set by a password reset); evidence.offset_m (photo position to the lead)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00
"""

from alembic import op
import sqlalchemy as sa

from gwmap.store import triggers

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('ticket_hash', sa.String(length=64), nullable=True),
    sa.Column('ticket_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=False),
    sa.Column('revoked_why', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    sa.UniqueConstraint('ticket_hash')
    )
    op.create_index('ix_user_sessions_username', 'user_sessions', ['username'])
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('offset_m', sa.Float(), nullable=True))
    # the audit triggers list each audited table's columns: make them again for the new columns
    triggers.install(op.get_bind(), ("users", "evidence"))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('must_change_password')
    with op.batch_alter_table('evidence') as batch:
        batch.drop_column('offset_m')
    triggers.install(op.get_bind(), ("users", "evidence"))
    op.drop_index('ix_user_sessions_username', table_name='user_sessions')
    op.drop_table('user_sessions')

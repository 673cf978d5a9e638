"""Users, verification attempts and verified sessions.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the first tables."""
    op.create_table(
        "users",
        sa.Column("telegram_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language_code", sa.String(16), nullable=True),
        sa.Column("consent_updates", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("consent_updates_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blocked_bot", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "verification_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "telegram_id",
            sa.BigInteger(),
            sa.ForeignKey("users.telegram_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
    )
    op.create_index(
        "ix_verification_attempts_user_time",
        "verification_attempts",
        ["telegram_id", "attempted_at"],
    )
    op.create_table(
        "verified_sessions",
        sa.Column(
            "telegram_id",
            sa.BigInteger(),
            sa.ForeignKey("users.telegram_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("applicant_ref", sa.String(128), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_table("verified_sessions")
    op.drop_index("ix_verification_attempts_user_time", "verification_attempts")
    op.drop_table("verification_attempts")
    op.drop_table("users")

"""Broadcasts, their recipients, sender heartbeats and the gelombang events already seen.

Revision ID: 0003_broadcasts
Revises: 0002_tickets
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_broadcasts"
down_revision = "0002_tickets"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the broadcast tables."""
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(256), nullable=True),
        sa.Column("paid", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("star_budget", sa.Float(), nullable=False, server_default="0"),
        sa.Column("paid_reserved", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("blocked", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("paid_sent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rate_limited", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("throttled_until", TS, nullable=True),
        sa.Column("progress_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("summary_sent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "broadcast_recipients",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column(
            "broadcast_id",
            sa.Integer(),
            sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("not_before", TS, nullable=True),
        sa.Column("lease_until", TS, nullable=True),
        sa.Column("claim", sa.String(32), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(64), nullable=True),
        sa.UniqueConstraint("broadcast_id", "telegram_id", name="uq_broadcast_recipient"),
    )
    op.create_index(
        "ix_broadcast_recipients_claim", "broadcast_recipients", ["broadcast_id", "status", "id"]
    )
    op.create_table(
        "announced_events",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
        sa.Column(
            "broadcast_id",
            sa.Integer(),
            sa.ForeignKey("broadcasts.id", ondelete="SET NULL"),
            nullable=True,
        ),
    )
    op.create_table(
        "broadcast_senders",
        sa.Column("sender_id", sa.String(32), primary_key=True),
        sa.Column("seen_at", TS, nullable=False),
    )


def downgrade() -> None:
    """Drop the broadcast tables."""
    op.drop_table("broadcast_senders")
    op.drop_table("announced_events")
    op.drop_index("ix_broadcast_recipients_claim", "broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_table("broadcasts")

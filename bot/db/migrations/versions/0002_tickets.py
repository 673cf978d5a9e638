"""Hand-off tickets and the staff-group / applicant message mapping.

Revision ID: 0002_tickets
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create tickets and ticket_messages."""
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("staff_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("card_message_id", sa.Integer(), nullable=True),
        sa.Column("card_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by_name", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_applicant_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_staff_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(16), nullable=True),
        sa.Column("sla_reminded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("applicant_updated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("comment_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_tickets_applicant_status", "tickets", ["applicant_id", "status"])
    op.create_index("ix_tickets_topic", "tickets", ["staff_chat_id", "thread_id"])
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("tickets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("staff_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("staff_message_id", sa.Integer(), nullable=False),
        sa.Column("applicant_message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_ticket_messages_staff", "ticket_messages", ["staff_chat_id", "staff_message_id"]
    )


def downgrade() -> None:
    """Drop the ticket tables."""
    op.drop_index("ix_ticket_messages_staff", "ticket_messages")
    op.drop_table("ticket_messages")
    op.drop_index("ix_tickets_topic", "tickets")
    op.drop_table("tickets")

"""placeholder; replaced by the hand-off migration

Revision ID: 0002_tickets
Revises: 0001
Create Date: 2026-12-01
"""

revision = "0002_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing: the staff hand-off branch provides the real migration."""


def downgrade() -> None:
    """Nothing."""

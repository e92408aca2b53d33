"""phone pages: a volunteer's calendar feed key, and messages to residents without an account

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The .ics feed's secret is stored as a digest only; NULL means no feed (or revoked).
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calendar_key_digest",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_volunteers_calendar_key_digest"), ["calendar_key_digest"], unique=True
        )
    # A resident who ordered without an account is told by SMS about their demand: the message
    # names the demand, whose contact phone is read when it is sent (the number stays in one place).
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("demand_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notifications_demand_id_demands"),
            "demands",
            ["demand_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_notifications_demand_id"), ["demand_id"], unique=False)
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_recipient_known"),
            "user_id IS NOT NULL OR demand_id IS NOT NULL",
        )


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE user_id IS NULL")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_recipient_known"), type_="check")
        batch_op.drop_index(batch_op.f("ix_notifications_demand_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_notifications_demand_id_demands"), type_="foreignkey"
        )
        batch_op.drop_column("demand_id")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteers_calendar_key_digest"))
        batch_op.drop_column("calendar_key_digest")

"""dispatch plans: 一键派单 saves its plan, then the report of applying it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 18:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dispatch_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.JSON(), nullable=False),  # plain JSON: written once, read whole
        sa.Column("totals", _json(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by_user_id", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "status IN ('planned', 'applied')", name=op.f("ck_dispatch_plans_status_known")
        ),
        sa.CheckConstraint(
            "period_to >= period_from", name=op.f("ck_dispatch_plans_period_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_dispatch_plans_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_dispatch_plans_created_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["applied_by_user_id"],
            ["users.id"],
            name=op.f("fk_dispatch_plans_applied_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_plans")),
    )
    with op.batch_alter_table("dispatch_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dispatch_plans_area_created", ["area_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dispatch_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_plans_area_created")
    op.drop_table("dispatch_plans")

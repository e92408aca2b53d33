"""phone codes and follow-up codes: one-time codes to phones; demands looked up with a code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("phone_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phone_codes")),
    )
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_phone_codes_purpose_phone", ["purpose", "phone_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_phone_codes_expires_at"), ["expires_at"])
    with op.batch_alter_table("demands", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "follow_up_code_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("demands", schema=None) as batch_op:
        batch_op.drop_column("follow_up_code_hash")
    with op.batch_alter_table("phone_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phone_codes_expires_at"))
        batch_op.drop_index("ix_phone_codes_purpose_phone")
    op.drop_table("phone_codes")

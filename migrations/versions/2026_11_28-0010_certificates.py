"""certificates: 志愿服务记录证明 with a never-reused serial and a public verification token

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 20:00:00.000000+00:00

A new table only: no existing table is altered (several carry triggers that batch mode on
SQLite would drop when it rebuilds them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CURRENT = "superseded_at IS NULL AND revoked_at IS NULL"


def _json():
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", text(length=32), nullable=True),
        sa.Column("token", text(length=32), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("volunteer_name", text(length=64), nullable=False),
        sa.Column("total_hours", sa.Float(), nullable=False),
        sa.Column("activity_count", sa.Integer(), nullable=False),
        sa.Column("lines", _json(), nullable=False),
        sa.Column("fingerprint", text(length=64), nullable=False),
        sa.Column("issuer", text(length=128), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_user_id", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("period_to >= period_from", name=op.f("ck_certificates_period_ordered")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_certificates_volunteer_id_volunteers"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_user_id"],
            ["users.id"],
            name=op.f("fk_certificates_issued_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_superseded_by_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_user_id"],
            ["users.id"],
            name=op.f("fk_certificates_revoked_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("serial", name=op.f("uq_certificates_serial")),
        sa.UniqueConstraint("token", name=op.f("uq_certificates_token")),
        # Ids (and so serials) are never handed out twice, even after the highest row is gone.
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_certificates_volunteer_id"), "certificates", ["volunteer_id"], unique=False
    )
    op.create_index(
        "uq_certificates_current",
        "certificates",
        ["volunteer_id", "period_from", "period_to"],
        unique=True,
        sqlite_where=sa.text(CURRENT),
        postgresql_where=sa.text(CURRENT),
    )


def downgrade() -> None:
    op.drop_index("uq_certificates_current", table_name="certificates")
    op.drop_index(op.f("ix_certificates_volunteer_id"), table_name="certificates")
    op.drop_table("certificates")

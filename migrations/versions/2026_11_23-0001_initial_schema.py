"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 04:32:36.784187+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "level IN ('district', 'street', 'community')", name=op.f("ck_areas_level_known")
        ),
        sa.CheckConstraint(
            "lat IS NULL OR (lat >= -90 AND lat <= 90)", name=op.f("ck_areas_lat_range")
        ),
        sa.CheckConstraint("length(code) = 12", name=op.f("ck_areas_code_12_digits")),
        sa.CheckConstraint(
            "lng IS NULL OR (lng >= -180 AND lng <= 180)", name=op.f("ck_areas_lng_range")
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["areas.id"], name=op.f("fk_areas_parent_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        sa.UniqueConstraint("code", name=op.f("uq_areas_code")),
    )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_areas_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_areas_path"), ["path"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_key_at", ["key", "at"], unique=False)

    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["skills.id"], name=op.f("fk_skills_parent_id_skills")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("code", name=op.f("uq_skills_code")),
    )
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skills_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'disabled')", name=op.f("ck_users_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column(
            "detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_audit_log_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["target_user_id"], ["users.id"], name=op.f("fk_audit_log_target_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_auth_sessions_token_hash")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "demands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=True),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("target_group", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("preferred_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("preferred_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
        sa.Column("submitter_user_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("upvotes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'adopted', 'declined', 'merged')",
            name=op.f("ck_demands_status_known"),
        ),
        sa.CheckConstraint(
            "target_group IN ('youth', 'farmers', 'workers', 'elderly', 'officials', 'public')",
            name=op.f("ck_demands_target_group_known"),
        ),
        sa.CheckConstraint(
            "preferred_end IS NULL OR preferred_start IS NULL OR preferred_end > preferred_start",
            name=op.f("ck_demands_preferred_window"),
        ),
        sa.CheckConstraint("upvotes >= 0", name=op.f("ck_demands_upvotes_positive")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_demands_community_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["demands.id"], name=op.f("fk_demands_merged_into_id_demands")
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_demands_skill_id_skills")
        ),
        sa.ForeignKeyConstraint(
            ["submitter_user_id"], ["users.id"], name=op.f("fk_demands_submitter_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demands")),
    )
    with op.batch_alter_table("demands", schema=None) as batch_op:
        batch_op.create_index(
            "ix_demands_community_status", ["community_id", "status"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed', 'dead')",
            name=op.f("ck_notifications_status_known"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_status_next", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index("ix_notifications_user_read", ["user_id", "read_at"], unique=False)

    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "lat IS NULL OR (lat >= -90 AND lat <= 90)", name=op.f("ck_venues_lat_range")
        ),
        sa.CheckConstraint(
            "lng IS NULL OR (lng >= -180 AND lng <= 180)", name=op.f("ck_venues_lng_range")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_venues_community_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_community_id"), ["community_id"], unique=False)

    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("home_area_id", sa.Integer(), nullable=False),
        sa.Column("home_lat", sa.Float(), nullable=False),
        sa.Column("home_lng", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("bio", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("completed_count", sa.Integer(), nullable=False),
        sa.Column("no_show_count", sa.Integer(), nullable=False),
        sa.Column("rating_avg", sa.Float(), nullable=True),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'paused')", name=op.f("ck_volunteers_status_known")
        ),
        sa.CheckConstraint(
            "completed_count >= 0 AND no_show_count >= 0",
            name=op.f("ck_volunteers_counts_positive"),
        ),
        sa.CheckConstraint(
            "home_lat IS NULL OR (home_lat >= -90 AND home_lat <= 90)",
            name=op.f("ck_volunteers_home_lat_range"),
        ),
        sa.CheckConstraint(
            "home_lng IS NULL OR (home_lng >= -180 AND home_lng <= 180)",
            name=op.f("ck_volunteers_home_lng_range"),
        ),
        sa.CheckConstraint(
            "radius_km > 0 AND radius_km <= 200", name=op.f("ck_volunteers_radius_range")
        ),
        sa.CheckConstraint(
            "rating_count >= 0 AND (rating_avg IS NULL OR (rating_avg >= 1 AND rating_avg <= 5))",
            name=op.f("ck_volunteers_rating_range"),
        ),
        sa.ForeignKeyConstraint(
            ["home_area_id"], ["areas.id"], name=op.f("fk_volunteers_home_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_volunteers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_volunteers_user_id")),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteers_home_area_id"), ["home_area_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_volunteers_status"), ["status"], unique=False)

    op.create_table(
        "availability_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
            name=op.f("ck_availability_windows_minute_range"),
        ),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_availability_windows_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_availability_windows_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_windows")),
    )
    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_windows_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "blackout_dates",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_blackout_dates_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "day", name=op.f("pk_blackout_dates")),
    )
    op.create_table(
        "demand_upvotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("demand_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["demand_id"],
            ["demands.id"],
            name=op.f("fk_demand_upvotes_demand_id_demands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand_upvotes")),
        sa.UniqueConstraint(
            "demand_id", "voter_key", name=op.f("uq_demand_upvotes_demand_id_voter_key")
        ),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("leader_volunteer_id", sa.Integer(), nullable=False),
        sa.Column("base_area_id", sa.Integer(), nullable=False),
        sa.Column("base_lat", sa.Float(), nullable=False),
        sa.Column("base_lng", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "base_lat IS NULL OR (base_lat >= -90 AND base_lat <= 90)",
            name=op.f("ck_teams_base_lat_range"),
        ),
        sa.CheckConstraint(
            "base_lng IS NULL OR (base_lng >= -180 AND base_lng <= 180)",
            name=op.f("ck_teams_base_lng_range"),
        ),
        sa.ForeignKeyConstraint(
            ["base_area_id"], ["areas.id"], name=op.f("fk_teams_base_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["leader_volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_teams_leader_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_teams_base_area_id"), ["base_area_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_teams_leader_volunteer_id"), ["leader_volunteer_id"], unique=False
        )

    op.create_table(
        "volunteer_skills",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_volunteer_skills_skill_id_skills")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_skills_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "skill_id", name=op.f("pk_volunteer_skills")),
    )
    with op.batch_alter_table("volunteer_skills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_skills_skill_id"), ["skill_id"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("demand_id", sa.Integer(), nullable=True),
        sa.Column("target_group", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("venue_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("venue_address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("venue_lat", sa.Float(), nullable=False),
        sa.Column("venue_lng", sa.Float(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expected_attendance", sa.Integer(), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column("accepted_count", sa.Integer(), nullable=False),
        sa.Column("max_distance_km", sa.Float(), nullable=False),
        sa.Column("dispatch_mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("needs_attention_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "suggestion", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staffed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "dispatch_mode <> 'team' OR team_id IS NOT NULL", name=op.f("ck_orders_team_mode")
        ),
        sa.CheckConstraint(
            "dispatch_mode IN ('open', 'targeted', 'team')", name=op.f("ck_orders_mode_known")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'staffed', 'in_progress', 'completed', 'evaluated', 'expired', 'cancelled')",
            name=op.f("ck_orders_status_known"),
        ),
        sa.CheckConstraint(
            "target_group IN ('youth', 'farmers', 'workers', 'elderly', 'officials', 'public')",
            name=op.f("ck_orders_target_group_known"),
        ),
        sa.CheckConstraint(
            "accepted_count >= 0 AND accepted_count <= slots",
            name=op.f("ck_orders_accepted_within_slots"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_orders_ends_after_start")),
        sa.CheckConstraint("expected_attendance >= 0", name=op.f("ck_orders_attendance_positive")),
        sa.CheckConstraint("max_distance_km > 0", name=op.f("ck_orders_max_distance_positive")),
        sa.CheckConstraint("slots >= 1 AND slots <= 200", name=op.f("ck_orders_slots_range")),
        sa.CheckConstraint(
            "venue_lat IS NULL OR (venue_lat >= -90 AND venue_lat <= 90)",
            name=op.f("ck_orders_venue_lat_range"),
        ),
        sa.CheckConstraint(
            "venue_lng IS NULL OR (venue_lng >= -180 AND venue_lng <= 180)",
            name=op.f("ck_orders_venue_lng_range"),
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_orders_community_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"], ["users.id"], name=op.f("fk_orders_created_by_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["demand_id"], ["demands.id"], name=op.f("fk_orders_demand_id_demands")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_orders_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_orders_venue_id_venues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_community_status", ["community_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_orders_demand_id"), ["demand_id"], unique=False)
        batch_op.create_index(
            "ix_orders_status_deadline", ["status", "accept_deadline"], unique=False
        )
        batch_op.create_index("ix_orders_status_starts_at", ["status", "starts_at"], unique=False)

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role <> 'team_leader' OR team_id IS NOT NULL",
            name=op.f("ck_role_assignments_team_scoped"),
        ),
        sa.CheckConstraint(
            "role IN ('resident', 'worker', 'volunteer', 'team_leader', 'coordinator', 'admin')",
            name=op.f("ck_role_assignments_role_known"),
        ),
        sa.CheckConstraint(
            "role NOT IN ('worker', 'coordinator') OR area_id IS NOT NULL",
            name=op.f("ck_role_assignments_area_scoped"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_role_assignments_area_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_role_assignments_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_role_assignments_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
        sa.UniqueConstraint(
            "user_id",
            "role",
            "area_id",
            "team_id",
            name=op.f("uq_role_assignments_user_id_role_area_id_team_id"),
        ),
    )
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_assignments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_team_members_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "volunteer_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_members_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("from_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("to_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint(
            "entity IN ('order', 'offer', 'demand')", name=op.f("ck_events_entity_known")
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_events_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_order_id"), ["order_id"], unique=False)

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column(
            "score_parts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_lat", sa.Float(), nullable=True),
        sa.Column("check_in_lng", sa.Float(), nullable=True),
        sa.Column(
            "flags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('offered', 'accepted', 'declined', 'expired', 'withdrawn', 'checked_in', 'completed', 'no_show')",
            name=op.f("ck_offers_status_known"),
        ),
        sa.CheckConstraint(
            "check_in_lat IS NULL OR (check_in_lat >= -90 AND check_in_lat <= 90)",
            name=op.f("ck_offers_check_in_lat_range"),
        ),
        sa.CheckConstraint(
            "check_in_lng IS NULL OR (check_in_lng >= -180 AND check_in_lng <= 180)",
            name=op.f("ck_offers_check_in_lng_range"),
        ),
        sa.CheckConstraint(
            "checked_out_at IS NULL OR checked_in_at IS NULL OR checked_out_at >= checked_in_at",
            name=op.f("ck_offers_checkout_after_checkin"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_offers_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_offers_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_offers_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint(
            "order_id", "volunteer_id", name=op.f("uq_offers_order_id_volunteer_id")
        ),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index("ix_offers_order_status", ["order_id", "status"], unique=False)
        batch_op.create_index("ix_offers_status_expires_at", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            "ix_offers_volunteer_status", ["volunteer_id", "status"], unique=False
        )

    op.create_table(
        "order_skills",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_skills_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"], ["skills.id"], name=op.f("fk_order_skills_skill_id_skills")
        ),
        sa.PrimaryKeyConstraint("order_id", "skill_id", name=op.f("pk_order_skills")),
    )
    with op.batch_alter_table("order_skills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_skills_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "rating_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_rating_codes_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_rating_codes_code")),
    )
    with op.batch_alter_table("rating_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_codes_order_id"), ["order_id"], unique=False)

    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "flags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.CheckConstraint(
            "hours >= 0 AND hours <= 24", name=op.f("ck_service_records_hours_range")
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_user_id"],
            ["users.id"],
            name=op.f("fk_service_records_confirmed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_service_records_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_service_records_volunteer_id_volunteers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_records")),
        sa.UniqueConstraint(
            "order_id", "volunteer_id", name=op.f("uq_service_records_order_id_volunteer_id")
        ),
    )
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_records_volunteer_started", ["volunteer_id", "started_at"], unique=False
        )

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("rater_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("rater_user_id", sa.Integer(), nullable=True),
        sa.Column("rating_code_id", sa.Integer(), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rater_kind <> 'worker' OR volunteer_id IS NOT NULL",
            name=op.f("ck_evaluations_worker_rates_volunteer"),
        ),
        sa.CheckConstraint(
            "rater_kind IN ('resident', 'worker')", name=op.f("ck_evaluations_rater_known")
        ),
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name=op.f("ck_evaluations_stars_range")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_evaluations_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rater_user_id"], ["users.id"], name=op.f("fk_evaluations_rater_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["rating_code_id"],
            ["rating_codes.id"],
            name=op.f("fk_evaluations_rating_code_id_rating_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_evaluations_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint(
            "order_id",
            "volunteer_id",
            "rater_kind",
            "rater_user_id",
            name=op.f("uq_evaluations_order_id_volunteer_id_rater_kind_rater_user_id"),
        ),
        sa.UniqueConstraint("rating_code_id", name=op.f("uq_evaluations_rating_code_id")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_evaluations_volunteer", ["volunteer_id"], unique=False)

    _make_events_append_only()


def _make_events_append_only() -> None:
    """The event log refuses UPDATE and DELETE at the database level."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'events are append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_volunteer")
        batch_op.drop_index(batch_op.f("ix_evaluations_order_id"))

    op.drop_table("evaluations")
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index("ix_service_records_volunteer_started")

    op.drop_table("service_records")
    with op.batch_alter_table("rating_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_codes_order_id"))

    op.drop_table("rating_codes")
    with op.batch_alter_table("order_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_skills_skill_id"))

    op.drop_table("order_skills")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("ix_offers_volunteer_status")
        batch_op.drop_index("ix_offers_status_expires_at")
        batch_op.drop_index("ix_offers_order_status")

    op.drop_table("offers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_order_id"))
        batch_op.drop_index("ix_events_entity")

    op.drop_table("events")
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_members_volunteer_id"))

    op.drop_table("team_members")
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_assignments_user_id"))

    op.drop_table("role_assignments")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_status_starts_at")
        batch_op.drop_index("ix_orders_status_deadline")
        batch_op.drop_index(batch_op.f("ix_orders_demand_id"))
        batch_op.drop_index("ix_orders_community_status")

    op.drop_table("orders")
    with op.batch_alter_table("volunteer_skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_skills_skill_id"))

    op.drop_table("volunteer_skills")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_teams_leader_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_teams_base_area_id"))

    op.drop_table("teams")
    op.drop_table("demand_upvotes")
    op.drop_table("blackout_dates")
    with op.batch_alter_table("availability_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_windows_volunteer_id"))

    op.drop_table("availability_windows")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteers_status"))
        batch_op.drop_index(batch_op.f("ix_volunteers_home_area_id"))

    op.drop_table("volunteers")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_community_id"))

    op.drop_table("venues")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_user_read")
        batch_op.drop_index("ix_notifications_status_next")

    op.drop_table("notifications")
    with op.batch_alter_table("demands", schema=None) as batch_op:
        batch_op.drop_index("ix_demands_community_status")

    op.drop_table("demands")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))

    op.drop_table("auth_sessions")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))

    op.drop_table("audit_log")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("skills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skills_parent_id"))

    op.drop_table("skills")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failures_key_at")

    op.drop_table("login_failures")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_areas_path"))
        batch_op.drop_index(batch_op.f("ix_areas_parent_id"))

    op.drop_table("areas")

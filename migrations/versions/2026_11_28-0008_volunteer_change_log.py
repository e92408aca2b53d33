"""volunteer change log: triggers record every write that may change who can take what

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 12:00:00.000000+00:00

Each process keeps a candidate index in memory (``service.dispatch.live_index``); it reloads the
volunteers named here after the last id it has read. Triggers, not application code, write the
rows, so a change made by any process, the command line, an import or a hand-written SQL
statement reaches every index. On SQLite, table rebuilds by ``batch_alter_table`` drop
triggers: a later migration that rebuilds one of these tables must create them again
(``tests/service/dispatch/test_change_log.py`` checks that every trigger exists at head).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDING = "('accepted', 'checked_in')"  # offers that are commitments (service.dispatch.repository)

# (trigger name, table, event, WHEN condition or None, SQL expression(s) of the volunteer id)
_ROW_TRIGGERS = [
    ("vc_volunteers_ins", "volunteers", "INSERT", None, ["NEW.id"]),
    ("vc_volunteers_upd", "volunteers", "UPDATE", None, ["NEW.id"]),
    ("vc_volunteers_del", "volunteers", "DELETE", None, ["OLD.id"]),
    ("vc_skills_ins", "volunteer_skills", "INSERT", None, ["NEW.volunteer_id"]),
    ("vc_skills_del", "volunteer_skills", "DELETE", None, ["OLD.volunteer_id"]),
    ("vc_windows_ins", "availability_windows", "INSERT", None, ["NEW.volunteer_id"]),
    ("vc_windows_upd", "availability_windows", "UPDATE", None, ["NEW.volunteer_id"]),
    ("vc_windows_del", "availability_windows", "DELETE", None, ["OLD.volunteer_id"]),
    ("vc_blackouts_ins", "blackout_dates", "INSERT", None, ["NEW.volunteer_id"]),
    ("vc_blackouts_del", "blackout_dates", "DELETE", None, ["OLD.volunteer_id"]),
    ("vc_offers_ins", "offers", "INSERT", f"NEW.status IN {HOLDING}", ["NEW.volunteer_id"]),
    (
        "vc_offers_upd",
        "offers",
        "UPDATE",
        f"OLD.status <> NEW.status AND (OLD.status IN {HOLDING} OR NEW.status IN {HOLDING})",
        ["NEW.volunteer_id"],
    ),
    ("vc_offers_del", "offers", "DELETE", f"OLD.status IN {HOLDING}", ["OLD.volunteer_id"]),
    ("vc_records_ins", "service_records", "INSERT", None, ["NEW.volunteer_id"]),
    ("vc_records_upd", "service_records", "UPDATE", None, ["NEW.volunteer_id"]),
    ("vc_records_del", "service_records", "DELETE", None, ["OLD.volunteer_id"]),
]
# An order moved in time moves the commitments of everyone holding it.
_ORDER_MOVED = "OLD.starts_at <> NEW.starts_at OR OLD.ends_at <> NEW.ends_at"
_HOLDERS_OF_NEW = (
    "INSERT INTO volunteer_changes (volunteer_id) SELECT volunteer_id FROM offers "
    f"WHERE order_id = NEW.id AND status IN {HOLDING}"
)
TRIGGER_NAMES = [name for name, *_ in _ROW_TRIGGERS] + ["vc_orders_moved"]


def _inserts(ids: list[str]) -> str:
    return " ".join(f"INSERT INTO volunteer_changes (volunteer_id) VALUES ({i});" for i in ids)


def _create_sqlite() -> None:
    for name, table, event, when, ids in _ROW_TRIGGERS:
        condition = f" WHEN {when}" if when else ""
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} "
            f"BEGIN {_inserts(ids)} END"
        )
    op.execute(
        f"CREATE TRIGGER vc_orders_moved AFTER UPDATE ON orders FOR EACH ROW "
        f"WHEN {_ORDER_MOVED} BEGIN {_HOLDERS_OF_NEW}; END"
    )


def _create_postgresql() -> None:
    # One function per trigger body; the trigger's WHEN clause filters before the call.
    for name, table, event, when, ids in _ROW_TRIGGERS:
        op.execute(
            f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_inserts(ids)} RETURN NULL; END $$"
        )
        condition = f" WHEN ({when})" if when else ""
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} "
            f"EXECUTE FUNCTION {name}_fn()"
        )
    op.execute(
        "CREATE FUNCTION vc_orders_moved_fn() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN {_HOLDERS_OF_NEW}; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER vc_orders_moved AFTER UPDATE OF starts_at, ends_at ON orders "
        f"FOR EACH ROW WHEN ({_ORDER_MOVED}) EXECUTE FUNCTION vc_orders_moved_fn()"
    )


def upgrade() -> None:
    op.create_table(
        "volunteer_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_changes")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql()
    else:
        _create_sqlite()


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in [*_ROW_TRIGGERS, ("vc_orders_moved", "orders")]:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
        if postgres:
            op.execute(f"DROP FUNCTION IF EXISTS {name}_fn()")
    op.drop_table("volunteer_changes")

"""events for every machine: accounts, volunteers and notifications join the event log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:20:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "entity IN ('order', 'offer', 'demand')"
NEW = "entity IN ('order', 'offer', 'demand', 'user', 'volunteer', 'notification')"


def _replace_entity_check(condition: str) -> None:
    """Swap the CHECK; on SQLite batch mode copies the table, so its triggers are set again."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the copy-and-rename of batch mode would silently drop them
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_events_entity_known"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_events_entity_known"), condition)
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END"
            )


def upgrade() -> None:
    _replace_entity_check(NEW)


def downgrade() -> None:
    # Rows of the new entities would violate the old CHECK: they cannot be deleted (the log is
    # append-only), so a downgrade with such rows fails loudly instead of losing history.
    _replace_entity_check(OLD)

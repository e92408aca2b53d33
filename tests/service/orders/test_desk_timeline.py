"""The order page's history says who did what in words, never raw statuses."""

from service.models import Event
from service.orders.desk_views import TEAM_ASSIGNMENT_REASON, timeline_rows
from tests.conftest import TEST_NOW


def _event(**fields) -> Event:
    return Event(at=TEST_NOW, entity_id=5, order_id=1, actor_user_id=9, **fields)


def _row(event: Event):
    [row] = timeline_rows([event], offer_names={5: "王*"}, user_names={9: "王志强"})
    return row


def test_a_team_leader_accepting_their_own_offer_is_a_volunteer_saying_yes():
    row = _row(
        _event(entity="offer", from_status="offered", to_status="accepted",
               actor_role="team_leader", reason="开放接单")
    )  # fmt: skip
    assert row.sentence == "志愿者 %(name)s 接单"


def test_a_team_acceptance_names_the_leader_who_sent_the_member():
    row = _row(
        _event(entity="offer", from_status="offered", to_status="accepted",
               actor_role="team_leader", reason=TEAM_ASSIGNMENT_REASON)
    )  # fmt: skip
    assert row.sentence == "队长 %(who)s 安排志愿者 %(name)s 出队"
    assert row.reason is None  # the routine reason repeats the sentence


def test_the_adopted_demand_is_told_in_words_with_its_status_labels():
    row = _row(_event(entity="demand", from_status="new", to_status="adopted", actor_role="worker"))
    assert row.sentence == "居民点单被采纳，生成了这个活动"
    assert (row.from_label, row.to_label) == ("待处理", "已采纳")

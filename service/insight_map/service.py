"""The activity map of a coordinator's area: what the page draws and lists, computed once.

Below ``DETAIL_LIMIT`` orders every order is a marker at its venue; above it the orders are
counted per community in SQL and drawn at the community's centroid, so a district with 100k
orders still sends a few kilobytes. Volunteers are only ever counted per home community.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from matching.geo import wgs84_to_gcj02
from service.auth import policy
from service.context import ActionContext
from service.insight_map import repository as repo
from service.insight_map.filters import MapFilter
from service.insight_map.outlines import outline
from service.insight_map.repository import STATUS_GROUPS, Window
from service.insight_map.tiles import TileSource, tile_source
from service.localtime import to_local
from service.vocab import AreaLevel

DETAIL_LIMIT = 500  # more orders than this are drawn per community
DIGITS = 5  # ~1 m: more precision than a venue's point has, fewer bytes


@dataclass
class CommunityRow:
    """One line of the table under the map: a community's orders by group and volunteers."""

    id: int
    name: str
    street: str
    lat: float
    lng: float
    orders: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_GROUPS, 0))
    volunteers: int = 0

    @property
    def total(self) -> int:
        return sum(self.orders.values())


@dataclass
class OrderPoint:
    id: int
    title: str
    when: str  # local date and time as people read it
    community_id: int
    community: str
    group: str
    lat: float
    lng: float
    accepted: int
    slots: int
    url_allowed: bool  # the viewer may open the order's desk page


@dataclass
class MapView:
    filters: MapFilter
    tiles: TileSource
    detailed: bool  # orders one by one (else counted per community)
    communities: list[CommunityRow]
    orders: list[OrderPoint]  # empty unless detailed
    outlines: list[tuple[str, str, list[tuple[float, float]]]]  # (level, name, ring)
    totals: dict[str, int]
    volunteers: int

    @property
    def total_orders(self) -> int:
        return sum(self.totals.values())

    def by_street(self) -> list[tuple[str, list[CommunityRow]]]:
        """The communities grouped under their streets, in the official code order."""
        groups: dict[str, list[CommunityRow]] = {}
        for community in self.communities:
            groups.setdefault(community.street, []).append(community)
        return list(groups.items())


def window_of(filters: MapFilter, ctx: ActionContext) -> Window:
    """The filter's local days as a UTC interval [first 00:00, day after last 00:00)."""
    zone = ZoneInfo(ctx.settings.timezone)

    def midnight(day):
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    return Window(midnight(filters.first), midnight(filters.last + timedelta(days=1)), ctx.now)


async def map_view(session, ctx: ActionContext, filters: MapFilter) -> MapView:
    """Everything the map page shows for the actor's area (admin: every area)."""
    scope = policy.areas_in_scope(ctx.actor)
    window = window_of(filters, ctx)
    areas = await repo.areas_in_view(session=session, scope=scope)
    by_id = {area.id: area for area in areas}
    communities = {
        area.id: CommunityRow(
            id=area.id,
            name=area.name,
            street=by_id[area.parent_id].name if area.parent_id in by_id else "",
            lat=area.lat,
            lng=area.lng,
        )
        for area in areas
        if area.level == AreaLevel.community
    }
    counted = await repo.orders_per_community(
        session=session, scope=scope, window=window, group=filters.group
    )
    totals = dict.fromkeys(STATUS_GROUPS, 0)
    for row in counted:
        totals[row.group] += row.orders
        if row.community_id in communities:
            communities[row.community_id].orders[row.group] += row.orders
    volunteers = await repo.active_volunteers_per_community(session=session, scope=scope)
    for community_id, count in volunteers.items():
        if community_id in communities:
            communities[community_id].volunteers = count

    detailed = sum(totals.values()) <= DETAIL_LIMIT
    orders: list[OrderPoint] = []
    if detailed:
        rows = await repo.orders_one_by_one(
            session=session, scope=scope, window=window, group=filters.group
        )
        zone = ctx.settings.timezone
        for row in rows:
            area = by_id.get(row.community_id)
            orders.append(
                OrderPoint(
                    id=row.id,
                    title=row.title,
                    when=to_local(row.starts_at, zone).strftime("%Y-%m-%d %H:%M"),
                    community_id=row.community_id,
                    community=area.name if area else "",
                    group=row.group,
                    lat=row.lat,
                    lng=row.lng,
                    accepted=row.accepted,
                    slots=row.slots,
                    url_allowed=area is not None
                    and policy.can_manage_order(
                        ctx.actor, community_id=row.community_id, community_path=area.path
                    ),
                )
            )
    return MapView(
        filters=filters,
        tiles=tile_source(ctx.settings),
        detailed=detailed,
        communities=list(communities.values()),  # areas come in code order: street by street
        orders=orders,
        outlines=_outlines(areas, communities, orders, by_id),
        totals=totals,
        volunteers=sum(c.volunteers for c in communities.values()),
    )


def _outlines(areas, communities: dict[int, CommunityRow], orders: list[OrderPoint], by_id):
    """Each street (and the whole district) as the outline around its communities' points and
    the venues drawn in it (a venue may lie a few hundred metres from the centroid)."""
    members: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for area in areas:
        if area.id in communities:
            members[area.parent_id].append((area.lat, area.lng))
    for order in orders:
        community = by_id.get(order.community_id)
        if community is not None:
            members[community.parent_id].append((order.lat, order.lng))
    shapes = []
    districts = [area for area in areas if area.level == AreaLevel.district]
    everything = [point for points in members.values() for point in points]
    for district in districts:
        if everything:
            shapes.append((AreaLevel.district.value, district.name, outline(everything, 0.006)))
    for area in areas:
        if area.level == AreaLevel.street and members.get(area.id):
            shapes.append((AreaLevel.street.value, area.name, outline(members[area.id])))
    return shapes


def payload(view: MapView, order_url) -> dict:
    """The compact JSON the map script draws from (points in the tiles' datum, rounded).

    ``order_url(order_id)`` makes an order's link; it is only called for orders the viewer may
    open. Volunteers appear as counts per community, never as points of their own."""

    def point(lat: float, lng: float) -> list[float]:
        if view.tiles.gcj02:
            lat, lng = wgs84_to_gcj02(lat, lng)
        return [round(lat, DIGITS), round(lng, DIGITS)]

    group_index = {group: index for index, group in enumerate(STATUS_GROUPS)}
    data: dict = {
        "groups": list(STATUS_GROUPS),
        "detailed": view.detailed,
        "communities": [
            [
                c.id,
                c.name,
                *point(c.lat, c.lng),
                c.volunteers,
                *(c.orders[g] for g in STATUS_GROUPS),
            ]
            for c in view.communities
        ],
        "outlines": [
            [level, name, [point(lat, lng) for lat, lng in ring]]
            for level, name, ring in view.outlines
        ],
        "orders": [
            [
                o.id,
                group_index[o.group],
                *point(o.lat, o.lng),
                o.title,
                o.when,
                o.community,
                o.accepted,
                o.slots,
                order_url(o.id) if o.url_allowed else None,
            ]
            for o in view.orders
        ],
    }
    if view.tiles.layers:
        data["tiles"] = [
            {
                "url": layer.url,
                "attribution": layer.attribution,
                "subdomains": layer.subdomains,
                "maxZoom": layer.max_zoom,
            }
            for layer in view.tiles.layers
        ]
    return data

"""The JSON API under /api/v1: every domain router is included here, once."""

from __future__ import annotations

from fastapi import APIRouter

api_router = APIRouter(prefix="/api/v1")


def _include_domain_routers() -> None:
    """Domains add their API router here (one line each; imported late to avoid cycles)."""
    from service.dispatch.routes_api import router as candidates_router
    from service.offers.routes_api import order_offers_router
    from service.offers.routes_api import router as offers_router
    from service.orders.routes_api import coordinator_router
    from service.orders.routes_api import router as orders_router

    api_router.include_router(orders_router)
    api_router.include_router(candidates_router)
    api_router.include_router(order_offers_router)
    api_router.include_router(offers_router)
    api_router.include_router(coordinator_router)
    from service.demands.routes_api import router as demands_router

    api_router.include_router(demands_router)
    from service.notifications import routes_api as notifications_api

    api_router.include_router(notifications_api.inbox_router)
    api_router.include_router(notifications_api.admin_router)
    from service.offers.routes_api import sms_router

    api_router.include_router(sms_router)
    from service.activity import routes_api as activity_api

    for router in (activity_api.offers_router, activity_api.orders_router, activity_api.me_router):
        api_router.include_router(router)
    from service.evaluations import routes_api as evaluations_api

    api_router.include_router(evaluations_api.ratings_router)
    api_router.include_router(evaluations_api.orders_router)
    from service.volunteers.routes_api import router as volunteer_profile_router

    api_router.include_router(volunteer_profile_router)


_include_domain_routers()

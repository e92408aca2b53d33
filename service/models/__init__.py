"""All tables; importing this package registers them on ``metadata``."""

from service.models.areas import Area, Skill
from service.models.base import metadata
from service.models.certificates import Certificate
from service.models.demands import Demand, DemandUpvote
from service.models.events import Event, Notification
from service.models.orders import Offer, Order, OrderSkill, Venue
from service.models.plans import DispatchPlan
from service.models.records import Evaluation, RatingCode, ServiceRecord
from service.models.users import (
    ApiToken,
    AuditEntry,
    AuthSession,
    LoginFailure,
    PhoneCode,
    RoleAssignment,
    User,
)
from service.models.volunteers import (
    AvailabilityWindow,
    BlackoutDate,
    Team,
    TeamMember,
    Volunteer,
    VolunteerChange,
    VolunteerSkill,
)

__all__ = [
    "ApiToken",
    "Area",
    "AuditEntry",
    "AuthSession",
    "AvailabilityWindow",
    "BlackoutDate",
    "Certificate",
    "Demand",
    "DemandUpvote",
    "DispatchPlan",
    "Evaluation",
    "Event",
    "LoginFailure",
    "Notification",
    "Offer",
    "Order",
    "OrderSkill",
    "PhoneCode",
    "RatingCode",
    "RoleAssignment",
    "ServiceRecord",
    "Skill",
    "Team",
    "TeamMember",
    "User",
    "Venue",
    "Volunteer",
    "VolunteerChange",
    "VolunteerSkill",
    "metadata",
]

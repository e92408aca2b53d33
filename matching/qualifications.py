"""Certificates and insurance: which an order requires and which a volunteer holds, per local
date, with the facts a page needs to say why ("救护员证 12月05日过期").

The readable reference of the qualification rules (``check_eligibility`` adds their codes);
``VolunteerTable.credentials_valid`` / ``insured`` implement them on columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from matching.params import DEFAULT_PARAMS, MatchParams
from matching.time_windows import local_dates
from matching.types import Credential, InsuranceCoverage, OrderRequest, VolunteerSnapshot

MISSING_CREDENTIAL = "missing_credential"  # 缺少所需证书
CREDENTIAL_LAPSED = "credential_lapsed"  # 证书在活动日期前过期
NOT_INSURED = "not_insured"  # 保险未覆盖活动日期


@dataclass(frozen=True, slots=True)
class QualificationProblem:
    """Why a volunteer's certificates or insurance do not fit an order, with the facts a page
    shows ("救护员证 12月05日过期": ``explain.explain_problem_zh``)."""

    code: str  # MISSING_CREDENTIAL, CREDENTIAL_LAPSED or NOT_INSURED
    kind: str | None = None  # the credential kind (credential problems)
    # The last valid date of the credential, or of the insurance coverage the order's first
    # uncovered date directly follows; None when there was none (missing, never insured).
    expired_on: date | None = None
    # The first local date of the order left uncovered; None when nothing was held at all.
    uncovered_on: date | None = None


def qualification_problems(
    volunteer: VolunteerSnapshot, order: OrderRequest, params: MatchParams = DEFAULT_PARAMS
) -> list[QualificationProblem]:
    """The order's certificate and insurance requirements this volunteer fails, one problem per
    required credential kind (sorted) and one for insurance; empty when all are met.

    A requirement is met when it holds on every local date the order touches (in
    ``params.utc_offset``): an order ending 23:30 local on a certificate's last valid date is
    fine, one starting 00:10 the next local day is not.
    """
    if not (order.required_credentials or order.requires_insurance):
        return []
    days = local_dates(order.start, order.end, params.utc_offset)
    problems = [
        p
        for kind in sorted(order.required_credentials)
        if (p := _credential_problem(volunteer.credentials, kind, days)) is not None
    ]
    if order.requires_insurance and not volunteer.insurance:
        problems.append(QualificationProblem(NOT_INSURED))
    elif order.requires_insurance:
        uncovered = [d for d in days if not _insured_on(volunteer.insurance, d)]
        if uncovered:
            first = uncovered[0]
            before = first - timedelta(days=1)
            lapsed = any(c.end == before for c in volunteer.insurance)
            problems.append(
                QualificationProblem(
                    NOT_INSURED, expired_on=before if lapsed else None, uncovered_on=first
                )
            )
    return problems


def _credential_problem(
    credentials: tuple[Credential, ...], kind: str, days: list[date]
) -> QualificationProblem | None:
    """Missing, lapsed (valid on some order date but not all), or None when valid throughout."""
    held = [c.valid_through for c in credentials if c.kind == kind]
    if not held:
        return QualificationProblem(MISSING_CREDENTIAL, kind=kind)
    uncovered = [d for d in days if not any(d <= until for until in held)]
    if not uncovered:
        return None
    return QualificationProblem(
        CREDENTIAL_LAPSED, kind=kind, expired_on=max(held), uncovered_on=uncovered[0]
    )


def _insured_on(coverages: tuple[InsuranceCoverage, ...], day: date) -> bool:
    return any(c.start <= day <= c.end for c in coverages)

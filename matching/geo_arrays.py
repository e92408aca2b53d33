"""Distances over numpy arrays: the vectorized maths of the hot path.

``haversine_km`` and ``unit_vectors`` (spherical) differ from the geodesic by < 0.6 %, which the
eligibility code covers with a re-check band (see ``MatchParams.borderline_rel``);
``vincenty_km`` (ellipsoidal) decides the batch graph's borderline pairs in bulk.
"""

from __future__ import annotations

import numpy as np

from matching.geo import EARTH_RADIUS_KM, WGS84_A_KM, WGS84_F


def haversine_km(lat1, lng1, lat2, lng2):
    """Great-circle distance in km on the mean sphere; accepts scalars or numpy arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lat, lng) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3), for chord-based distance maths."""
    p = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lng, dtype=np.float64))
    cp = np.cos(p)
    return np.stack([cp * np.cos(lam), cp * np.sin(lam), np.sin(p)], axis=-1)


def vincenty_km(lat1, lng1, lat2, lng2, *, iterations: int = 50):
    """Vectorized Vincenty inverse on WGS-84 (km) and a per-pair "converged" flag.

    Vincenty's series agree with the exact geodesic to well under a millimetre wherever they
    converge (not near antipodal points), so callers use them to *decide* distance limits in
    bulk and fall back to ``geodesic_km`` within a small guard band or where not converged.
    """
    a = WGS84_A_KM
    f = WGS84_F
    b = a * (1 - f)
    lat1, lng1, lat2, lng2 = (np.asarray(x, dtype=np.float64) for x in (lat1, lng1, lat2, lng2))
    u1 = np.arctan((1 - f) * np.tan(np.radians(lat1)))
    u2 = np.arctan((1 - f) * np.tan(np.radians(lat2)))
    big_l = np.radians(lng2 - lng1)
    sin_u1, cos_u1, sin_u2, cos_u2 = np.sin(u1), np.cos(u1), np.sin(u2), np.cos(u2)
    lam = big_l.copy()
    converged = np.zeros(lam.shape, dtype=bool)
    sin_sigma = cos_sigma = sigma = cos2_alpha = cos_2sm = np.zeros(lam.shape)
    for _ in range(iterations):
        sin_lam, cos_lam = np.sin(lam), np.cos(lam)
        sin_sigma = np.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = np.arctan2(sin_sigma, cos_sigma)
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_alpha = np.where(sin_sigma > 0, cos_u1 * cos_u2 * sin_lam / sin_sigma, 0.0)
            cos2_alpha = 1 - sin_alpha**2
            cos_2sm = np.where(cos2_alpha > 0, cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha, 0.0)
        c = f / 16 * cos2_alpha * (4 + f * (4 - 3 * cos2_alpha))
        prev = lam
        lam = big_l + (1 - c) * f * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        converged = np.abs(lam - prev) < 1e-12
        if converged.all():
            break
    u_sq = cos2_alpha * (a**2 - b**2) / b**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta_sigma = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    dist = b * big_a * (sigma - delta_sigma)
    return np.where(sin_sigma == 0, 0.0, dist), converged & np.isfinite(dist)

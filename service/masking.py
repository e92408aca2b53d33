"""The one rule for showing a phone number to someone who may not see it in full."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to tell numbers apart, not enough to call; None when there is none."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"

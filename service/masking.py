"""The one rule for showing a phone number to someone who may not see it in full."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****5678: enough to tell numbers apart, not enough to call; None when there is none."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """张*, 李*轩, 欧**娜: the family name and the last character, enough to recognise someone
    one already knows; a one-character name stays as it is; no name gives an empty string."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"

"""QR codes for the printed rating-code sheet: inline SVG (no image request, CSP-safe)."""

from __future__ import annotations

import segno


def qr_svg(url: str, *, label: str) -> str:
    """An ``<svg role="img">`` of ``url`` that scales with its box, named ``label`` for readers.

    Error correction M survives a crease or a smudge on paper; the quiet zone is segno's
    default four modules, which phones need to find the code. segno escapes the title.
    """
    svg = segno.make(url, error="m", micro=False).svg_inline(
        scale=1, omitsize=True, svgclass="qr", title=label
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)

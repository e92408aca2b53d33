"""QR codes for the printed rating-code sheet, drawn by the template as inline SVG.

No image request and no markup built in Python: the service hands the template the code's size
and the path of its dark modules (letters and digits only), and the template writes the
``<svg>`` like any other element, escaped as usual (CSP-safe, no ``Markup``).
"""

from __future__ import annotations

from dataclasses import dataclass

import segno

QUIET_ZONE = 4  # modules of white around the code: phones need them to find it


@dataclass(frozen=True)
class QrPicture:
    size: int  # modules per side, quiet zone included (the SVG's viewBox)
    path: str  # SVG path data of the dark modules, one unit per module


def qr_picture(url: str) -> QrPicture:
    """``url`` as a QR code; error correction M survives a crease or a smudge on paper."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=QUIET_ZONE)]
    parts = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return QrPicture(size=len(rows), path="".join(parts))

"""Where the certificates' Chinese font lives: one place, and a clear error when it is missing."""

from __future__ import annotations

from pathlib import Path

# Debian/Ubuntu package fonts-wqy-microhei (Apache 2.0 / GPLv3 with font exception): a CJK
# font fpdf2 can subset and embed, so the PDF shows the same on any reader.
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class FontMissing(RuntimeError):
    """The CJK font is not installed; the message says what to install."""


def cjk_font_path() -> Path:
    if not CJK_FONT.is_file():
        raise FontMissing(
            f"certificate font {CJK_FONT} is missing: apt-get install fonts-wqy-microhei"
        )
    return CJK_FONT

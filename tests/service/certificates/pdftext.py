"""Reading a certificate PDF back (pypdf), as a reader would see it."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(body: bytes) -> str:
    """All pages' text with the white space removed (table cells wrap where they like)."""
    reader = PdfReader(io.BytesIO(body))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def embedded_fonts(body: bytes) -> set[str]:
    """Names of the fonts embedded in the PDF (a subset carries a ``ABCDEF+`` prefix)."""
    reader = PdfReader(io.BytesIO(body))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    names.add(str(descriptor["/FontName"]))
    return names


def pdf_urls(body: bytes) -> list[str]:
    """The addresses printed under the QR code (wrapped lines joined again)."""
    return re.findall(r"https?://[A-Za-z0-9.:-]+/[A-Za-z0-9/_-]+", pdf_text(body))

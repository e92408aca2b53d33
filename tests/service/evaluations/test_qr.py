"""The rating cards' QR codes: the drawn path is exactly segno's matrix, small enough to print."""

import re

import segno

from service.evaluations.qr import QUIET_ZONE, qr_picture

URL = "https://kepu.zhifu.gov.cn/rate/7K3M9Q"


def _cells(path: str) -> set[tuple[int, int]]:
    """The dark modules a path of ``M{x} {y}h{n}v1h-{n}z`` runs paints."""
    cells = set()
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        cells |= {(int(x) + dx, int(y)) for dx in range(int(n))}
    return cells


def test_the_path_paints_exactly_the_dark_modules():
    picture = qr_picture(URL)
    qr = segno.make(URL, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=QUIET_ZONE))
    expected = {(x, y) for y, row in enumerate(rows) for x, dark in enumerate(row) if dark}
    assert picture.size == len(rows) == qr.symbol_size(scale=1, border=QUIET_ZONE)[0]
    assert _cells(picture.path) == expected
    assert re.fullmatch(r"[Mhvz0-9 \-]+", picture.path)  # nothing a template must not escape


def test_a_card_url_stays_a_small_code():
    # A city's origin gives a version ≤ 4 (≤ 33 modules): printed at 3.2 cm, ≥ 1 mm a module.
    picture = qr_picture("https://kepu.zhifu.yantai.gov.cn/rate/7K3M9Q")
    assert picture.size - 2 * QUIET_ZONE <= 33

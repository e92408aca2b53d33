"""Which tiles the map draws on, from ``settings.map_tiles``: none (the offline view), OSM,
Tianditu (needs ``map_tiles_key``) or AMap (GCJ-02: points are shifted to match).

The URLs appear in the page only when configured, so by default nothing loads from outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.settings import Settings


@dataclass(frozen=True)
class TileLayer:
    url: str
    attribution: str
    subdomains: str = ""
    max_zoom: int = 18


@dataclass(frozen=True)
class TileSource:
    name: str  # "none", "osm", "tianditu", "amap"
    layers: tuple[TileLayer, ...] = ()
    gcj02: bool = False  # the tiles are drawn in GCJ-02: shift WGS-84 points before drawing
    hosts: tuple[str, ...] = field(default=())  # for the page's Content-Security-Policy img-src
    missing_key: bool = False  # Tianditu was asked for without a key: drawn offline instead

    @property
    def offline(self) -> bool:
        return not self.layers


_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
)


def tile_source(settings: Settings) -> TileSource:
    """The configured tile source (the offline view unless a usable one is configured)."""
    kind = settings.map_tiles
    if kind == "osm":
        layer = TileLayer(
            "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            "© OpenStreetMap contributors",
            max_zoom=19,
        )
        return TileSource("osm", (layer,), hosts=("https://tile.openstreetmap.org",))
    if kind == "tianditu":
        key = (settings.map_tiles_key or "").strip()
        if not key:
            return TileSource("none", missing_key=True)
        # The vector map and its Chinese labels are two layers of the same service.
        layers = tuple(
            TileLayer(_TIANDITU % (name, name, key), "© 天地图", subdomains="01234567")
            for name in ("vec", "cva")
        )
        return TileSource("tianditu", layers, hosts=("https://*.tianditu.gov.cn",))
    if kind == "amap":
        layer = TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
            "© 高德地图",
            subdomains="1234",
        )
        return TileSource("amap", (layer,), gcj02=True, hosts=("https://*.is.autonavi.com",))
    return TileSource("none")

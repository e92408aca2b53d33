"""烟台市芝罘区: its streets (街道) with GB/T 2260-style codes, WGS-84 centroids and communities.

Street codes follow the national statistical division codes (370602 + 3-digit street + 000);
community codes are street code + a 3-digit serial. Centroids are approximate (±500 m).
Community names mix real place names of each street with typical 社区 names.
"""

from __future__ import annotations

from dataclasses import dataclass

DISTRICT_CODE = "370602000000"
DISTRICT_NAME = "芝罘区"
DISTRICT_LAT, DISTRICT_LNG = 37.5400, 121.4000
# The district's bounding box; every demo coordinate must fall inside it.
BBOX = (37.40, 37.65, 121.25, 121.55)  # south, north, west, east


@dataclass(frozen=True)
class StreetData:
    serial: int  # the 3-digit street part of the code
    name: str
    lat: float
    lng: float
    roads: tuple[str, ...]
    communities: tuple[str, ...]

    @property
    def code(self) -> str:
        return f"370602{self.serial:03d}000"


STREETS: tuple[StreetData, ...] = (
    StreetData(
        1,
        "向阳街道",
        37.5343,
        121.3998,
        ("北马路", "大马路", "朝阳街", "海岸路"),
        ("朝阳街社区", "大马路社区", "北马路社区", "胜利路社区", "海岸路社区", "西大街社区"),
    ),
    StreetData(
        2,
        "东山街道",
        37.5305,
        121.4285,
        ("解放路", "海军路", "滨海北路"),
        ("东山社区", "滨海社区", "金沟寨社区", "解放路社区", "海湾社区"),
    ),
    StreetData(
        3,
        "毓璜顶街道",
        37.5275,
        121.3925,
        ("青年南路", "南通路", "毓璜顶北路"),
        ("毓璜顶社区", "新华社区", "南通路社区", "青年路社区", "市府街社区", "儒林社区"),
    ),
    StreetData(
        4,
        "通伸街道",
        37.5380,
        121.3760,
        ("西南河路", "通伸路", "港城西大街"),
        ("通伸社区", "西南河社区", "惠通社区", "世纪社区", "通世社区", "菜园社区"),
    ),
    StreetData(
        5,
        "凤凰台街道",
        37.5445,
        121.3605,
        ("芝罘屯路", "西炮台路", "环海路"),
        ("凤凰台社区", "西炮台社区", "宝源社区", "华新社区", "工人社区"),
    ),
    StreetData(
        6,
        "奇山街道",
        37.5225,
        121.4085,
        ("南大街", "所城北街", "文化路"),
        ("奇山社区", "所城社区", "南大街社区", "文化社区", "南山社区", "永和社区"),
    ),
    StreetData(
        7,
        "白石街道",
        37.5130,
        121.3870,
        ("白石路", "环山路", "珠玑路"),
        ("白石社区", "珠玑社区", "新桥社区", "山林社区", "万华社区"),
    ),
    StreetData(
        8,
        "芝罘岛街道",
        37.6000,
        121.3900,
        ("芝罘岛路", "阳主庙路"),
        ("大疃社区", "东口社区", "西口社区", "北口社区"),
    ),
    StreetData(
        9,
        "黄务街道",
        37.5010,
        121.3500,
        ("黄务路", "东沙旺路", "赵家庄路"),
        ("黄务社区", "大东夼社区", "西沙旺社区", "东沙旺社区", "赵家庄社区", "墨林社区"),
    ),
    StreetData(
        10,
        "只楚街道",
        37.5350,
        121.3300,
        ("只楚路", "西沟路", "南夼路"),
        ("只楚社区", "西沟社区", "南夼社区", "曲家社区", "钟家社区"),
    ),
    StreetData(
        11,
        "世回尧街道",
        37.5190,
        121.3570,
        ("红旗中路", "青年南路", "上夼西路"),
        ("世回尧社区", "上尧社区", "鲁大社区", "金都社区", "红旗社区", "虎台社区"),
    ),
    StreetData(
        12,
        "幸福街道",
        37.5700,
        121.3350,
        ("幸福南路", "福泰路", "芦洋路"),
        ("幸福社区", "福泰社区", "芦洋社区", "新村社区", "和平社区", "福宁社区"),
    ),
)

# Saved venues of a community: (name template, share of communities that have one).
VENUE_KINDS: tuple[tuple[str, float], ...] = (
    ("{community}党群服务中心多功能厅", 1.0),
    ("{community}新时代文明实践站", 0.8),
    ("{community}居民活动室", 0.6),
    ("{community}文化广场", 0.5),
    ("{community}老年人日间照料中心", 0.35),
)
SCHOOL_VENUES: tuple[str, ...] = (
    "{street_short}小学礼堂",
    "{street_short}中学科技活动室",
    "{street_short}幼儿园多功能厅",
)

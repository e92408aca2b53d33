"""Name lists, volunteer personas and the 志愿队 of the demo (data only)."""

from __future__ import annotations

from dataclasses import dataclass

# Common surnames, weighted roughly by frequency in 山东 (王、张、李、刘 lead).
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 12),
    ("张", 10),
    ("李", 10),
    ("刘", 8),
    ("孙", 6),
    ("杨", 4),
    ("赵", 4),
    ("陈", 4),
    ("于", 4),
    ("曲", 3),
    ("姜", 3),
    ("林", 3),
    ("宋", 3),
    ("郝", 2),
    ("隋", 2),
    ("鞠", 2),
    ("牟", 2),
    ("徐", 2),
    ("高", 2),
    ("马", 2),
    ("周", 2),
    ("吴", 2),
    ("衣", 1),
    ("初", 1),
    ("迟", 1),
    ("滕", 1),
    ("邹", 1),
    ("慕", 1),
)
GIVEN_CHARS: tuple[str, ...] = tuple(
    "建国 志强 秀英 桂兰 玉梅 海燕 红霞 丽娟 晓明 文博 子涵 雨轩 梓萱 浩然 欣怡 俊杰 "
    "淑珍 振华 立新 春燕 凤英 国庆 卫东 晓东 思远 一鸣 佳琪 若曦 宇航 明轩 嘉怡 海涛 "
    "德胜 美玲 永刚 金凤 书娟 洪波 家豪 静怡 晨曦 天佑 雅琴 学文 成林 秀芳 延平 庆华".split()
)


@dataclass(frozen=True)
class Persona:
    key: str
    label: str  # the profile bio
    weight: int  # relative share among volunteers
    skills: tuple[str, ...]  # skill codes this persona draws from (first ones most likely)
    age_band: str  # "retired", "adult" or "student": drives availability


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "doctor",
        "退休医生，曾在毓璜顶医院工作三十年",
        3,
        ("health.chronic", "health.medication", "emergency.cpr", "health.nutrition"),
        "retired",
    ),
    Persona(
        "nurse",
        "三甲医院护士，红十字会救护培训师",
        3,
        ("emergency.cpr", "emergency.aed", "emergency.bandage", "health.medication"),
        "adult",
    ),
    Persona(
        "teacher",
        "中小学科学教师",
        4,
        (
            "youth_science.experiments",
            "youth_science.mini_experiments",
            "youth_science.astronomy",
            "science_spirit.scientists",
        ),
        "adult",
    ),
    Persona(
        "engineer",
        "工程师，业余科普爱好者",
        3,
        (
            "youth_science.robotics",
            "youth_science.coding",
            "ecology.energy",
            "smart_elderly.smartphone",
        ),
        "adult",
    ),
    Persona(
        "police",
        "社区民警，反诈宣传骨干",
        2,
        ("anti_fraud.telecom", "anti_fraud.elderly_scam", "smart_elderly.mobile_pay"),
        "adult",
    ),
    Persona(
        "agronomist",
        "农技推广站农艺师",
        2,
        (
            "agriculture.orchard",
            "agriculture.greenhouse",
            "agriculture.ecommerce",
            "food_safety.basics",
        ),
        "adult",
    ),
    Persona(
        "student",
        "鲁东大学在校学生志愿者",
        5,
        (
            "smart_elderly.smartphone",
            "smart_elderly.gov_apps",
            "youth_science.mini_experiments",
            "ecology.waste_sorting",
            "smart_elderly.mobile_pay",
        ),
        "student",
    ),
    Persona(
        "firefighter",
        "退役消防员，应急救援志愿者",
        2,
        ("emergency.fire", "disaster.earthquake", "disaster.flood_typhoon", "emergency.bandage"),
        "retired",
    ),
    Persona(
        "ocean",
        "海洋科研院所研究员",
        1,
        ("ecology.marine", "disaster.flood_typhoon", "ecology.energy", "science_spirit.scientists"),
        "adult",
    ),
    Persona(
        "dietitian",
        "注册营养师、食品检验员",
        2,
        ("health.nutrition", "food_safety.basics", "food_safety.labels", "health.chronic"),
        "adult",
    ),
    Persona(
        "counsellor",
        "心理咨询师",
        1,
        ("health.mental", "science_spirit.superstition"),
        "adult",
    ),
    Persona(
        "retired_cadre",
        "退休干部，老科协会员",
        2,
        (
            "science_spirit.superstition",
            "science_spirit.scientists",
            "anti_fraud.elderly_scam",
            "ecology.waste_sorting",
        ),
        "retired",
    ),
)

# (team name, persona keys its members come from, street serial of its base)
TEAMS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("芝罘区红十字应急救护志愿队", ("nurse", "doctor", "firefighter"), 3),
    ("烟台市反诈宣传志愿队", ("police", "retired_cadre"), 1),
    ("毓璜顶医院健康科普志愿队", ("doctor", "nurse", "dietitian"), 3),
    ("科技馆青少年科普志愿队", ("teacher", "engineer"), 6),
    ("鲁东大学智慧助老志愿队", ("student",), 11),
    ("芝罘区老科协科普报告团", ("retired_cadre", "doctor"), 1),
    ("烟台苹果技术服务志愿队", ("agronomist",), 9),
    ("芝罘岛海洋生态志愿队", ("ocean", "student"), 8),
    ("芝罘区消防安全宣传志愿队", ("firefighter", "police"), 4),
    ("幸福街道银龄科普志愿队", ("retired_cadre", "doctor", "firefighter"), 12),
    ("奇山所城青少年科学实验队", ("teacher", "student"), 6),
    ("黄务设施农业科技服务队", ("agronomist", "dietitian"), 9),
    ("芝罘区心理健康服务志愿队", ("counsellor", "doctor", "nurse"), 2),
    ("只楚机器人编程志愿队", ("engineer", "teacher"), 10),
    ("白石食品安全宣传志愿队", ("dietitian", "agronomist"), 7),
    ("通伸垃圾分类宣讲队", ("student", "retired_cadre", "engineer"), 4),
    ("凤凰台防灾减灾志愿队", ("firefighter", "ocean"), 5),
    ("东山天文科普志愿队", ("teacher", "engineer", "ocean"), 2),
    ("世回尧大学生科普服务队", ("student",), 11),
    ("向阳合理用药宣讲队", ("doctor", "dietitian", "nurse"), 1),
)

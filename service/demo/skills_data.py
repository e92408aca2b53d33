"""The two-level skill taxonomy (domain → skill), built from the themes of the 科学素质 plans."""

from __future__ import annotations

# (domain code, domain name, ((skill code suffix, skill name), ...)); codes are stable identifiers.
SKILL_DOMAINS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("anti_fraud", "反诈", (("telecom", "电信诈骗识别"), ("elderly_scam", "防范养老诈骗"))),
    (
        "smart_elderly",
        "智慧助老",
        (
            ("smartphone", "智能手机使用"),
            ("mobile_pay", "移动支付与防骗"),
            ("gov_apps", "健康码与政务App"),
        ),
    ),
    (
        "health",
        "健康",
        (
            ("medication", "合理用药"),
            ("chronic", "慢病管理"),
            ("mental", "心理健康"),
            ("nutrition", "营养膳食"),
        ),
    ),
    (
        "emergency",
        "应急",
        (("cpr", "心肺复苏"), ("bandage", "急救包扎"), ("aed", "AED使用"), ("fire", "消防安全")),
    ),
    ("disaster", "防灾减灾", (("earthquake", "地震避险"), ("flood_typhoon", "防汛防台"))),
    ("food_safety", "食品安全", (("basics", "食品安全知识"), ("labels", "食品标签识读"))),
    (
        "ecology",
        "生态环保",
        (("waste_sorting", "垃圾分类"), ("energy", "节能减排"), ("marine", "海洋生态")),
    ),
    (
        "agriculture",
        "农业技术",
        (("orchard", "果树栽培"), ("greenhouse", "设施农业"), ("ecommerce", "农产品电商")),
    ),
    (
        "youth_science",
        "青少年科学教育",
        (
            ("experiments", "科学实验"),
            ("robotics", "机器人"),
            ("coding", "编程"),
            ("astronomy", "天文"),
            ("mini_experiments", "科学小实验"),
        ),
    ),
    (
        "science_spirit",
        "科学精神",
        (("scientists", "科学家精神宣讲"), ("superstition", "破除迷信")),
    ),
)


def skill_code(domain: str, suffix: str) -> str:
    return f"{domain}.{suffix}"

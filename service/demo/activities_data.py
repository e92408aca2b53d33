"""Activity templates, campaign days, reasons and comments of the demo (data only)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivityTemplate:
    title: str
    skills: tuple[str, ...]
    target_group: str
    description: str
    slots: tuple[int, int]  # inclusive range of volunteers needed
    attendance: tuple[int, int]


ACTIVITIES: tuple[ActivityTemplate, ...] = (
    ActivityTemplate(
        "防范电信网络诈骗进社区讲座",
        ("anti_fraud.telecom",),
        "public",
        "结合本地真实案例，讲解冒充客服、刷单返利、虚假投资理财等常见骗局，现场指导安装国家反诈中心App。",
        (1, 2),
        (40, 80),
    ),
    ActivityTemplate(
        "守好养老钱——防范养老诈骗宣讲",
        ("anti_fraud.elderly_scam", "anti_fraud.telecom"),
        "elderly",
        "识别“以房养老”“保健品”“高息理财”等养老诈骗套路，发放宣传折页。",
        (1, 3),
        (30, 60),
    ),
    ActivityTemplate(
        "老年人智能手机使用培训",
        ("smart_elderly.smartphone",),
        "elderly",
        "一对一教老人用微信视频、挂号、打车，请自带手机。",
        (3, 6),
        (20, 40),
    ),
    ActivityTemplate(
        "移动支付安全与防骗小课堂",
        ("smart_elderly.mobile_pay", "anti_fraud.telecom"),
        "elderly",
        "教老人安全使用扫码支付，识别陌生链接和“退款”电话。",
        (2, 4),
        (20, 40),
    ),
    ActivityTemplate(
        "“爱山东”与政务App使用指导",
        ("smart_elderly.gov_apps", "smart_elderly.smartphone"),
        "elderly",
        "现场指导办理社保认证、医保查询等掌上业务。",
        (2, 4),
        (20, 30),
    ),
    ActivityTemplate(
        "心肺复苏与AED急救培训",
        ("emergency.cpr", "emergency.aed"),
        "public",
        "模拟人实操练习心肺复苏和AED使用，考核合格发放培训证明。",
        (2, 4),
        (20, 40),
    ),
    ActivityTemplate(
        "家庭急救包扎技能培训",
        ("emergency.bandage",),
        "public",
        "常见外伤止血、包扎与固定方法，家庭急救包配置建议。",
        (1, 3),
        (20, 40),
    ),
    ActivityTemplate(
        "社区消防安全知识讲座与灭火器演练",
        ("emergency.fire",),
        "public",
        "讲解电动自行车充电、厨房用火安全，现场演示灭火器使用。",
        (1, 3),
        (40, 100),
    ),
    ActivityTemplate(
        "企业职工应急救护培训",
        ("emergency.cpr", "emergency.bandage"),
        "workers",
        "面向辖区企业一线职工，开展心肺复苏和创伤救护培训。",
        (2, 4),
        (30, 60),
    ),
    ActivityTemplate(
        "地震应急避险演练",
        ("disaster.earthquake",),
        "youth",
        "在学校开展“伏地、遮挡、手抓牢”避险演练和疏散演练。",
        (2, 4),
        (100, 300),
    ),
    ActivityTemplate(
        "汛期防汛防台风科普宣传",
        ("disaster.flood_typhoon",),
        "public",
        "讲解台风预警信号含义、海边避险和家庭应急物资准备。",
        (1, 3),
        (30, 60),
    ),
    ActivityTemplate(
        "合理用药与家庭药箱整理",
        ("health.medication",),
        "elderly",
        "药师现场帮助居民清理过期药品，讲解用药禁忌。",
        (1, 3),
        (30, 50),
    ),
    ActivityTemplate(
        "高血压糖尿病慢病管理讲座",
        ("health.chronic",),
        "elderly",
        "慢病自我管理、规范服药和饮食运动建议，现场免费测血压血糖。",
        (1, 3),
        (30, 60),
    ),
    ActivityTemplate(
        "青少年心理健康成长课",
        ("health.mental",),
        "youth",
        "面向初中生和家长，谈情绪管理与亲子沟通。",
        (1, 2),
        (30, 60),
    ),
    ActivityTemplate(
        "减盐减油，营养膳食进家庭",
        ("health.nutrition",),
        "public",
        "讲解中国居民膳食指南，现场发放控盐勺、控油壶。",
        (1, 2),
        (30, 50),
    ),
    ActivityTemplate(
        "食品安全进社区——识读食品标签",
        ("food_safety.labels", "food_safety.basics"),
        "public",
        "教居民看懂配料表、生产日期和营养成分表，辨别“三无”食品。",
        (1, 2),
        (30, 60),
    ),
    ActivityTemplate(
        "垃圾分类从我做起",
        ("ecology.waste_sorting",),
        "public",
        "垃圾分类知识问答和分类投放游戏。",
        (2, 4),
        (40, 80),
    ),
    ActivityTemplate(
        "节能减排绿色低碳生活讲座",
        ("ecology.energy",),
        "officials",
        "面向机关干部，讲解双碳目标与公共机构节能。",
        (1, 2),
        (30, 60),
    ),
    ActivityTemplate(
        "芝罘湾海洋生态保护科普",
        ("ecology.marine",),
        "youth",
        "认识近海生物，了解海洋垃圾危害，海滩净滩活动。",
        (2, 5),
        (30, 60),
    ),
    ActivityTemplate(
        "苹果园病虫害绿色防控技术指导",
        ("agriculture.orchard",),
        "farmers",
        "到果园现场讲解烟台苹果病虫害绿色防控和科学修剪。",
        (1, 3),
        (20, 40),
    ),
    ActivityTemplate(
        "设施蔬菜大棚种植技术培训",
        ("agriculture.greenhouse",),
        "farmers",
        "大棚温湿度管理、水肥一体化和病害防治。",
        (1, 2),
        (20, 30),
    ),
    ActivityTemplate(
        "农产品电商直播带货培训",
        ("agriculture.ecommerce",),
        "farmers",
        "手把手教果农开网店、拍短视频、做直播。",
        (1, 3),
        (20, 40),
    ),
    ActivityTemplate(
        "青少年科学实验秀",
        ("youth_science.experiments", "youth_science.mini_experiments"),
        "youth",
        "趣味化学与物理实验表演，孩子们上台动手体验。",
        (2, 5),
        (50, 150),
    ),
    ActivityTemplate(
        "机器人编程体验营",
        ("youth_science.robotics", "youth_science.coding"),
        "youth",
        "用图形化编程控制小机器人完成闯关任务。",
        (2, 4),
        (20, 40),
    ),
    ActivityTemplate(
        "少儿编程启蒙课",
        ("youth_science.coding",),
        "youth",
        "Scratch 图形化编程入门，做一个会动的小游戏。",
        (1, 3),
        (15, 30),
    ),
    ActivityTemplate(
        "星空下的天文观测夜",
        ("youth_science.astronomy",),
        "youth",
        "用天文望远镜观测月面和行星，讲解四季星空。",
        (2, 4),
        (30, 60),
    ),
    ActivityTemplate(
        "暑期科学小实验课堂",
        ("youth_science.mini_experiments",),
        "youth",
        "用生活中的材料做科学小实验，培养孩子的好奇心。",
        (2, 4),
        (20, 40),
    ),
    ActivityTemplate(
        "弘扬科学家精神报告会",
        ("science_spirit.scientists",),
        "officials",
        "讲述老一辈科学家的爱国奉献故事。",
        (1, 2),
        (50, 120),
    ),
    ActivityTemplate(
        "崇尚科学、破除迷信宣讲",
        ("science_spirit.superstition",),
        "elderly",
        "揭秘“神医”“神药”骗局，倡导移风易俗。",
        (1, 2),
        (30, 60),
    ),
    ActivityTemplate(
        "产业工人安全生产与职业健康科普",
        ("emergency.fire", "health.chronic"),
        "workers",
        "面向园区企业职工，讲解职业病防护与消防安全。",
        (1, 3),
        (40, 80),
    ),
)


@dataclass(frozen=True)
class CampaignDay:
    month: int
    day: int
    name: str
    activity_title: str  # an ActivityTemplate title to theme


CAMPAIGN_DAYS: tuple[CampaignDay, ...] = (
    CampaignDay(3, 15, "消费者权益日", "食品安全进社区——识读食品标签"),
    CampaignDay(4, 15, "全民国家安全教育日", "防范电信网络诈骗进社区讲座"),
    CampaignDay(5, 12, "防灾减灾日", "地震应急避险演练"),
    CampaignDay(5, 20, "全国科技活动周", "青少年科学实验秀"),
    CampaignDay(5, 30, "全国科技工作者日", "弘扬科学家精神报告会"),
    CampaignDay(6, 5, "世界环境日", "垃圾分类从我做起"),
    CampaignDay(6, 8, "世界海洋日", "芝罘湾海洋生态保护科普"),
    CampaignDay(9, 13, "世界急救日", "心肺复苏与AED急救培训"),
    CampaignDay(9, 20, "全国科普日", "青少年科学实验秀"),
    CampaignDay(10, 13, "国际减灾日", "汛期防汛防台风科普宣传"),
    CampaignDay(11, 9, "全国消防日", "社区消防安全知识讲座与灭火器演练"),
    CampaignDay(12, 5, "国际志愿者日", "老年人智能手机使用培训"),
)

DECLINE_REASONS = (
    "时间冲突，当天有工作安排",
    "距离太远，交通不便",
    "身体不适",
    "家里有事",
    "这个主题不太擅长",
)
CANCEL_REASONS = (
    "场地临时维修，活动取消",
    "天气预报有大风降温，改期举办",
    "与街道统一安排冲突，延后另行通知",
    "报名居民太少，合并到下月活动",
)
DEMAND_DECLINE_REASONS = (
    "已有同主题活动安排在本月，请报名参加",
    "暂时没有具备该技能的志愿者，已转报街道",
    "需求超出科普服务范围",
)
RESIDENT_COMMENTS = (
    "讲得很实用，老人都听懂了",
    "志愿者很耐心，手把手教",
    "希望多办几次",
    "内容丰富，孩子很喜欢",
    "时间有点短，意犹未尽",
    "案例很接地气，学到了",
    "",
)
WORKER_COMMENTS = ("准时到场，讲解专业", "很受居民欢迎", "配合默契，准备充分", "迟到了一会儿", "")
DEMAND_NOTES = (
    "小区里好多老人接到过诈骗电话，想请专业人员讲一讲。",
    "孩子放假在家，希望社区组织一些科学实验活动。",
    "家里老人不会用手机挂号，想学一学。",
    "想了解一下急救知识，万一遇到情况能帮上忙。",
    "希望有人来讲讲家庭用药常识。",
    "果园今年病虫害较重，想请技术员来看看。",
    "最近台风多，想了解防汛防台知识。",
    "",
)

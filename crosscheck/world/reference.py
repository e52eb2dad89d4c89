"""Reference tables the synthetic world draws from.

Names, schools, employers and institutions are realistic in shape, not real
people: surnames follow the frequency table that ``faker``'s zh_CN provider
carries, given names are composed from common given-name characters, schools
are real institutions with their provinces (public facts), employers and
training institutions other than those named in the notices' annexes are
invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Common given-name characters, and a few rare ones that GBK cannot encode
# (䶮) or that trip up naive tools: a GB18030 export must carry them.
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建文斌宇浩凯健俊帆帅旭宁龙林欢"
    "佳阳亮成峰晨瑞博彬坤岩楠琳琴云洁柳倩婷雪慧颖晶梅莉丹燕玲思雨欣怡梓涵子轩浩然一诺晓东海波"
    "志新春雷兵飞鑫振国庆家鸿嘉铭昊天宏毅若曦诗雅婉清"
)
GIVEN_CHARS = "".join(dict.fromkeys(GIVEN_CHARS))  # unique, in order
RARE_CHARS = "䶮堃喆犇昇珺玥婧"

# Minority names written with a middle dot (transliterated), for the dot cases.
MINORITY_NAMES = [
    "阿依古丽·买买提",
    "买买提·艾力",
    "古丽娜尔·吐尔逊",
    "艾尔肯·阿不都",
    "迪丽热巴·阿迪力",
]

# Homophone and traditional-character pairs used to plant near-identical names.
HOMOPHONES = {
    "伟": "玮",
    "丽": "莉",
    "静": "靖",
    "明": "铭",
    "华": "骅",
    "军": "君",
    "杰": "洁",
    "晨": "辰",
    "磊": "垒",
    "宇": "雨",
    "婷": "庭",
    "敏": "闽",
    "涛": "韬",
    "峰": "锋",
}
TRADITIONAL = {
    "伟": "偉",
    "华": "華",
    "丽": "麗",
    "军": "軍",
    "红": "紅",
    "兰": "蘭",
    "张": "張",
    "陈": "陳",
    "刘": "劉",
    "杨": "楊",
    "赵": "趙",
    "黄": "黃",
    "吴": "吳",
    "郑": "鄭",
    "冯": "馮",
    "邓": "鄧",
    "韩": "韓",
    "东": "東",
    "涛": "濤",
    "鹏": "鵬",
    "强": "強",
}


@lru_cache(maxsize=1)
def surnames() -> tuple[list[str], np.ndarray]:
    """Surnames and their probabilities (faker's zh_CN weighted table)."""
    from faker.providers.person.zh_CN import Provider

    table = Provider.last_names
    names = list(table)
    weights = np.array([float(table[n]) for n in names])
    return names, weights / weights.sum()


@dataclass(frozen=True)
class School:
    code: str  # synthetic school code: province digits first
    name: str
    province: str
    level: str  # 本科 / 专科 / 技师学院高级工班


# Real institutions (public facts); codes are synthetic.
SCHOOLS = [
    School("S2101", "东北大学", "21", "本科"),
    School("S2102", "辽宁大学", "21", "本科"),
    School("S2103", "沈阳工业大学", "21", "本科"),
    School("S2104", "沈阳建筑大学", "21", "本科"),
    School("S2105", "沈阳工学院", "21", "本科"),
    School("S2106", "沈阳职业技术学院", "21", "专科"),
    School("S2107", "辽宁石油化工大学", "21", "本科"),
    School("S2108", "辽宁石化职业技术学院", "21", "专科"),
    School("S2109", "大连理工大学", "21", "本科"),
    School("S2110", "大连海事大学", "21", "本科"),
    School("S2111", "辽宁工程技术大学", "21", "本科"),
    School("S2112", "渤海大学", "21", "本科"),
    School("S2113", "辽宁科技大学", "21", "本科"),
    School("S2114", "抚顺职业技术学院", "21", "专科"),
    School("S2115", "抚顺市技师学院", "21", "技师学院高级工班"),
    School("S2116", "辽宁省交通高等专科学校", "21", "专科"),
    School("S2201", "吉林大学", "22", "本科"),
    School("S2301", "哈尔滨工业大学", "23", "本科"),
    School("S1301", "河北工业大学", "13", "本科"),
    School("S1501", "内蒙古大学", "15", "本科"),
    School("S3701", "山东大学", "37", "本科"),
    School("S1101", "北京交通大学", "11", "本科"),
    School("S5101", "四川大学", "51", "本科"),
    School("S5102", "成都职业技术学院", "51", "专科"),
    School("S6201", "兰州大学", "62", "本科"),
    School("S6202", "庆阳职业技术学院", "62", "专科"),
]
SCHOOLS_BY_NAME = {s.name: s for s in SCHOOLS}

EMPLOYER_WORDS = [
    "华信",
    "东方",
    "北方",
    "兴业",
    "鼎盛",
    "恒通",
    "辽河",
    "浑河",
    "盛京",
    "新世纪",
    "宏达",
    "天成",
    "瑞丰",
    "金桥",
    "长城",
    "创新",
    "远航",
    "星辰",
]
EMPLOYER_KINDS = [
    "科技有限公司",
    "商贸有限公司",
    "机械制造有限公司",
    "物流有限公司",
    "信息技术有限公司",
    "建筑工程有限公司",
    "餐饮管理有限公司",
]
SHOP_KINDS = ["便利店", "餐馆", "理发店", "电脑维修部", "服装店", "水果店", "网店"]

# Liaoning cities (GB/T 2260), for households and other cities' training records.
LIAONING_CITIES = [
    "2101",
    "2102",
    "2103",
    "2104",
    "2105",
    "2106",
    "2107",
    "2108",
    "2109",
    "2110",
    "2111",
    "2112",
    "2113",
    "2114",
]
OTHER_PROVINCES = ["11", "13", "15", "22", "23", "37", "41", "51", "62"]

# Shenyang majors (000 §1(二)); periods and rates are directory data (annex 1 is not
# in the seed), chosen here within the notice's ranges (3–6 months, 1500/2000 CNY).
SHENYANG_MAJORS = {
    "大数据开发": (5, 2000, 600),
    "软件系统操作": (4, 1500, 480),
    "工业机器人操作及应用": (6, 2000, 720),
    "无人机应用技术及维修": (4, 2000, 480),
    "数字新媒体制作": (3, 1500, 360),
    "物联网应用": (5, 2000, 600),
    "5G通信技术应用": (4, 1500, 480),
    "数控设备应用与检修": (6, 2000, 720),
}
ZHENGNING_MAJORS = {
    "养老护理员": "A",
    "家政服务员": "B",
    "美发师": "B",
    "电工": "A",
    "中式烹调师": "C",
}
SICHUAN_MAJORS = ["电子商务师", "中式面点师", "养老护理员", "电工", "农业经理人"]
EDUCATION_LEVELS = ["本科", "专科"]

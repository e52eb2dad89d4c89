"""The institution directory of the synthetic world: institutions, their
approved majors and venues, online platforms, and Sichuan's published projects.

The two Fushun institutions and their majors come from the notice's annex 1
(001); Shenyang's majors from 000 §1(二) with periods and rates chosen within
the notice's ranges (its annex 1 is not in the seed); everything else is
invented and says so in its name (…职业培训学校).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from crosscheck.world import reference

D = dt.date


@dataclass
class MajorSpec:
    major: str
    level: str | None
    required_hours: int
    months: int
    rate_fen_per_month: int
    certificate: str
    category: str | None = None
    knowledge_based: bool = False


@dataclass
class Institution:
    institution_id: str
    name: str
    credit_code: str
    region_code: str
    policy_id: str
    majors: list[MajorSpec]
    venue_id: str
    is_school: bool = False
    school_code: str | None = None
    listed_from: D = field(default_factory=lambda: D(2020, 1, 1))
    listed_to: D | None = None
    extra_venues: list[str] = field(default_factory=list)


def _months_for(hours: int) -> int:
    return min(6, max(3, -(-hours // 120)))


def _credit(rng: random.Random, region: str) -> str:
    import numpy as np

    from crosscheck.world.ids import credit_codes

    return str(
        credit_codes(np.random.default_rng(rng.randrange(2**32)), np.array([int(region)]), "52")[0]
    )


def build(rng: random.Random, classes: dict[str, int]) -> list[Institution]:
    """Institutions for each policy, about one per eight classes."""
    out: list[Institution] = []

    def add(
        policy: str, name: str, region: str, majors: list[MajorSpec], school: str | None = None
    ) -> None:
        n = len(out) + 1
        credit = _credit(rng, region)
        inst = Institution(f"I{n:04d}", name, credit, region, policy, majors, f"V{n:04d}")
        inst.is_school, inst.school_code = school is not None, school
        out.append(inst)

    words = list(reference.EMPLOYER_WORDS)
    rng.shuffle(words)
    # Shenyang: one college (for the own-graduate rule) and training schools, ≤ 3 majors each
    sy = [
        MajorSpec(m, None, h, months, rate * 100, "skill_level")
        for m, (months, rate, h) in reference.SHENYANG_MAJORS.items()
    ]
    add(
        "shenyang-2022",
        "沈阳职业技术学院",
        "210100",
        [sy[0], sy[1], sy[4]],
        school="S2106",
    )
    for i in range(max(2, classes.get("shenyang-2022", 0) // 8)):
        picked = rng.sample(sy, 3)
        add("shenyang-2022", f"沈阳{words[i % len(words)]}职业培训学校", "210100", picked)
    # Fushun: the two annex-1 institutions, then listed training schools with annex majors
    tech = [
        MajorSpec(m, lvl, h, _months_for(h), 200000, "skill_level")
        for m, levels in (
            ("数控车工", {"初级": 430, "中级": 400, "高级": 300}),
            ("电工", {"初级": 400, "中级": 350, "高级": 450}),
        )
        for lvl, h in levels.items()
    ]
    sit = [
        MajorSpec(m, "专项", h, _months_for(h), 150000, "special_ability", knowledge_based=True)
        for m, h in (("大数据开发", 480), ("软件系统操作", 600), ("数字新媒体制作", 480))
    ]
    add("fushun-2023", "抚顺市技师学院", "210400", tech, school="S2115")
    add("fushun-2023", "沈阳工学院", "210400", sit, school="S2105")
    for i in range(max(1, classes.get("fushun-2023", 0) // 10)):
        picked = rng.sample(tech, 2) + rng.sample(sit, 1)
        add("fushun-2023", f"抚顺{words[(i + 5) % len(words)]}职业培训学校", "210400", picked)
    # Zhengning: hour minimums by category
    zn = [
        MajorSpec(m, None, {"A": 120, "B": 96, "C": 80}[c], 1, 0, "training_certificate", c)
        for m, c in reference.ZHENGNING_MAJORS.items()
    ]
    add("zhengning-2022", "正宁县职业中专", "621025", zn)
    add("zhengning-2022", "正宁县惠民职业培训学校", "621025", zn[:3])
    # Sichuan: institutions run published projects
    scm = [MajorSpec(m, None, 160, 2, 100000, "special_ability") for m in reference.SICHUAN_MAJORS]
    add("sichuan-2025", "成都市技能培训中心", "510100", scm)
    add("sichuan-2025", "成都锦程职业培训学校", "510100", scm)
    return out


ONLINE_PLATFORMS = [
    ("辽宁职业技能在线平台一", D(2023, 1, 1), None, False),
    ("辽宁职业技能在线平台二", D(2023, 1, 1), None, False),
    ("辽宁职业技能在线平台三", D(2023, 1, 1), None, False),
    ("辽宁职业技能在线平台四", D(2023, 1, 1), None, False),
    ("某未入围在线学习平台", None, None, False),
]

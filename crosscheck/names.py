"""Comparing Chinese personal names as registries and rosters write them.

The same person appears as 張偉 in one system and 张伟 in another, as
阿依古丽·买买提 with any of five different middle dots, with stray spaces, or
with a homophone character typed by a clerk (张玮). This module gives:

* :func:`normal_form` — one string to compare: NFKC, no whitespace, traditional
  → simplified (OpenCC ``t2s``; never ``s2t``), every middle dot unified to ``·``;
* :func:`pinyin_key` — a toneless pinyin reading with surnames read as surnames
  (单 shan, 曾 zeng, 区 ou, 解 xie, 朴 piao, 乐 yue …);
* :func:`char_distance` — edit distance in *characters* (DuckDB's ``levenshtein``
  counts UTF-8 bytes: 张伟/张玮 would be 3);
* :func:`compare` — a named :class:`MatchLevel`, written into a finding's
  evidence by the identity checks.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin
from rapidfuzz.distance import Levenshtein

MIDDLE_DOT = "·"
# Dots seen in minority and transliterated names, after NFKC.
_DOTS = frozenset("·•‧・⋅∙.。﹒᛫‐")

# Surname readings where pypinyin's default is the common-word reading.
# Compound surnames first: they are matched before single ones.
_COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "万俟": ("mo", "qi"),
    "尉迟": ("yu", "chi"),
    "单于": ("chan", "yu"),
    "长孙": ("zhang", "sun"),
    "澹台": ("tan", "tai"),
    "令狐": ("ling", "hu"),
    "皇甫": ("huang", "fu"),
    "欧阳": ("ou", "yang"),
    "上官": ("shang", "guan"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "东方": ("dong", "fang"),
    "夏侯": ("xia", "hou"),
    "公孙": ("gong", "sun"),
    "慕容": ("mu", "rong"),
    "宇文": ("yu", "wen"),
}
_SURNAMES: dict[str, str] = {
    "单": "shan",
    "曾": "zeng",
    "区": "ou",
    "解": "xie",
    "朴": "piao",
    "乐": "yue",
    "仇": "qiu",
    "查": "zha",
    "盖": "ge",
    "尉": "yu",
    "缪": "miao",
    "覃": "qin",
    "召": "shao",
    "翟": "zhai",
    "种": "chong",
    "秘": "bi",
    "员": "yun",
    "黑": "he",
    "牟": "mu",
    "折": "she",
    "冼": "xian",
    "宓": "fu",
    "句": "gou",
    "能": "nai",
    "藏": "zang",
    "柏": "bai",
    "薄": "bo",
    "重": "chong",
    "华": "hua",
    "任": "ren",
    "纪": "ji",
    "沈": "shen",
    "繁": "po",
    "朝": "chao",
    "长": "chang",
    "都": "du",
    "便": "pian",
    "隗": "wei",
    "阚": "kan",
    "莘": "shen",
    "祭": "zhai",
    "瞿": "qu",
    "蕃": "pi",
}


class MatchLevel(StrEnum):
    """How two names compare, strongest first. Written into evidence as is."""

    EXACT = "exact"  # identical after NFKC, whitespace and dot clean-up
    VARIANT = "variant"  # identical once traditional → simplified / dots ignored
    SAME_PINYIN = "same_pinyin"  # homophones: 张伟 / 张玮
    ONE_CHARACTER = "one_character"  # same length ≥ 3, one character replaced
    DIFFERENT = "different"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    MatchLevel.EXACT: "完全一致",
    MatchLevel.VARIANT: "繁简或间隔号差异",
    MatchLevel.SAME_PINYIN: "同音字",
    MatchLevel.ONE_CHARACTER: "一字之差",
    MatchLevel.DIFFERENT: "不一致",
}


NAME_MAX = 50  # characters


def _name_char(ch: str) -> bool:
    """May ``ch`` (after NFKC) appear in a person's name on a roster?"""
    code = ord(ch)
    if (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x20000 <= code <= 0x2A6DF  # extension B
        or code == 0x3007  # 〇, written in some names
    ):
        return True
    if ch == " " or ch in _DOTS:  # spaces and the minority names' middle dots
        return True
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def name_problem(text: str) -> str | None:
    """Why ``text`` is not a person's name as a roster may give it, or None. A name
    is 1–50 characters of CJK (extensions A and B included), the minority names'
    middle dots, Latin letters and spaces (issue 12, item 8): a formula, markup, a
    control character or a 100,000-character cell is a row problem, not a name."""
    name = unicodedata.normalize("NFKC", text).strip()
    if not name:
        return "姓名为空"
    if len(name) > NAME_MAX:
        return f"姓名过长（{len(name):,} 个字符，最多 {NAME_MAX} 个）"
    bad = []
    for ch in name:
        if not _name_char(ch) and ch not in bad:
            bad.append(ch)
    if not bad:
        return None
    shown = "、".join(
        f"“{ch}”" if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}" for ch in bad[:5]
    )
    allowed = "姓名只能由汉字、少数民族姓名间隔点（·）、拉丁字母和空格组成"
    return f"姓名含有不允许的字符 {shown}：{allowed}"


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _clean(name: str) -> str:
    """NFKC, whitespace and invisible characters removed, dots unified."""
    text = unicodedata.normalize("NFKC", name)
    out = []
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc"):
            continue
        out.append(MIDDLE_DOT if ch in _DOTS else ch)
    return "".join(out).strip(MIDDLE_DOT)


@lru_cache(maxsize=65536)
def normal_form(name: str) -> str:
    """The form every name comparison starts from."""
    return str(_t2s().convert(_clean(name)))


@lru_cache(maxsize=65536)
def pinyin_key(name: str) -> str:
    """Toneless pinyin, syllables separated by spaces, surnames read as surnames.

    Names with a middle dot (transliterated minority names) have no Han surname
    and are read character by character.
    """
    text = normal_form(name)
    head: list[str] = []
    rest = text
    if MIDDLE_DOT not in text:
        if text[:2] in _COMPOUND_SURNAMES:
            head, rest = list(_COMPOUND_SURNAMES[text[:2]]), text[2:]
        elif text[:1] in _SURNAMES:
            head, rest = [_SURNAMES[text[0]]], text[1:]
    syllables = head + lazy_pinyin(rest.replace(MIDDLE_DOT, ""), style=Style.NORMAL)
    return " ".join(s.lower() for s in syllables if s.strip())


def char_distance(a: str, b: str) -> int:
    """Edit distance between two names' normal forms, in characters."""
    return int(Levenshtein.distance(normal_form(a), normal_form(b)))


@dataclass(frozen=True, slots=True)
class NameComparison:
    level: MatchLevel
    left: str
    right: str
    distance: int

    def evidence(self) -> dict[str, str | int]:
        """The comparison as a finding's evidence records it."""
        return {
            "match_level": self.level.value,
            "match_label": self.level.label,
            "name_left": self.left,
            "name_right": self.right,
            "char_distance": self.distance,
        }


def _one_replaced(a: str, b: str) -> bool:
    """Same length, at least 3 characters, exactly one of them different (POLICY.md
    reading 3: a character dropped or added is not near-identical)."""
    return len(a) == len(b) >= 3 and sum(x != y for x, y in zip(a, b, strict=True)) == 1


def compare(a: str, b: str) -> NameComparison:
    """Compare two names and name the strongest level that holds."""
    distance = char_distance(a, b)
    ca, cb = _clean(a), _clean(b)
    if ca and ca == cb:
        level = MatchLevel.EXACT
    elif not ca or not cb:
        level = MatchLevel.DIFFERENT
    elif normal_form(a).replace(MIDDLE_DOT, "") == normal_form(b).replace(MIDDLE_DOT, ""):
        level = MatchLevel.VARIANT
    elif pinyin_key(a) == pinyin_key(b):
        level = MatchLevel.SAME_PINYIN
    elif _one_replaced(normal_form(a), normal_form(b)):
        level = MatchLevel.ONE_CHARACTER
    else:
        level = MatchLevel.DIFFERENT
    return NameComparison(level, a, b, distance)

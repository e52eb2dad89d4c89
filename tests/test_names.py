"""Chinese names: normal form, pinyin keys, character distance, match levels."""

from __future__ import annotations

import duckdb
import pytest

from crosscheck import names
from crosscheck.names import MatchLevel


@pytest.mark.parametrize(
    ("left", "right", "level"),
    [
        ("张伟", "张伟", MatchLevel.EXACT),
        ("张 伟", "张伟", MatchLevel.EXACT),  # stray space
        ("张\u3000伟", "张伟", MatchLevel.EXACT),  # ideographic space
        ("阿依古丽·买买提", "阿依古丽•买买提", MatchLevel.EXACT),  # bullet for middle dot
        ("阿依古丽·买买提", "阿依古丽・买买提", MatchLevel.EXACT),  # katakana middle dot
        ("阿依古丽·买买提", "阿依古丽.买买提", MatchLevel.EXACT),  # full stop
        ("張偉", "张伟", MatchLevel.VARIANT),  # traditional
        ("歐陽娜娜", "欧阳娜娜", MatchLevel.VARIANT),
        ("阿依古丽·买买提", "阿依古丽买买提", MatchLevel.VARIANT),  # dot dropped
        ("张伟", "张玮", MatchLevel.SAME_PINYIN),  # homophone
        ("王小明", "王晓明", MatchLevel.SAME_PINYIN),
        # POLICY.md reading 3: one character different counts only at the same length ≥ 3
        ("张晓明", "张晓东", MatchLevel.ONE_CHARACTER),
        ("张伟", "李伟", MatchLevel.DIFFERENT),
        ("王小明", "王小", MatchLevel.DIFFERENT),
        ("张伟", "李娜", MatchLevel.DIFFERENT),
        ("张", "李", MatchLevel.DIFFERENT),  # one character off, but nothing in common
        ("张伟", "", MatchLevel.DIFFERENT),
    ],
)
def test_match_levels(left: str, right: str, level: MatchLevel) -> None:
    assert names.compare(left, right).level is level
    assert names.compare(right, left).level is level


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("单田芳", "shan tian fang"),
        ("曾国藩", "zeng guo fan"),
        ("区梦觉", "ou meng jue"),
        ("解缙", "xie jin"),
        ("朴树", "piao shu"),
        ("乐嘉", "yue jia"),
        ("查良镛", "zha liang yong"),
        ("仇英", "qiu ying"),
        ("万俟卨", "mo qi xie"),
        ("尉迟恭", "yu chi gong"),
        ("張偉", "zhang wei"),
        ("阿依古丽·买买提", "a yi gu li mai mai ti"),
    ],
)
def test_pinyin_key_reads_surnames_as_surnames(name: str, key: str) -> None:
    assert names.pinyin_key(name) == key


def test_surname_correction_applies_only_to_the_surname() -> None:
    # 单 inside a given name keeps its ordinary reading.
    assert names.pinyin_key("王单") == "wang dan"


def test_normal_form() -> None:
    assert names.normal_form(" 張 偉 ") == "张伟"
    assert names.normal_form("阿依古丽•买买提") == "阿依古丽·买买提"
    assert names.normal_form("余华") == "余华"  # t2s only: never turned into 餘華


def test_character_distance_counts_characters_not_bytes() -> None:
    assert names.char_distance("张伟", "张玮") == 1
    assert names.char_distance("欧阳娜娜", "欧阳娜") == 1
    assert names.char_distance("張偉", "张伟") == 0
    # DuckDB's levenshtein counts UTF-8 bytes: the reason this module exists.
    row = duckdb.connect().execute("SELECT levenshtein('张伟', '张玮')").fetchone()
    assert row is not None
    assert row[0] > 1


def test_evidence_names_the_level() -> None:
    evidence = names.compare("张伟", "张玮").evidence()
    assert evidence["match_level"] == "same_pinyin"
    assert evidence["match_label"] == "同音字"
    assert evidence["char_distance"] == 1

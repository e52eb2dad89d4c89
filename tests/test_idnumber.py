"""Resident ID numbers: both sides of every boundary."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from stdnum.cn import ric

from crosscheck import idnumber
from crosscheck.idnumber import Note, Problem

AS_OF = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("raw", "problems"),
    [
        ("210102199003071233", set()),
        ("210402200002291236", set()),  # 29 February 2000 (leap: divisible by 400)
        ("62102520040615123X", set()),
        ("11010519491231002X", set()),  # the standard's own example
        ("210102199003071230", {Problem.BAD_CHECK_DIGIT}),
        ("510104199002291238", {Problem.BAD_BIRTH_DATE}),  # no 29 February 1990
        ("210102190002291233", {Problem.BAD_BIRTH_DATE}),  # 1900 is not a leap year
        ("210102199013071234", {Problem.BAD_BIRTH_DATE, Problem.BAD_CHECK_DIGIT}),
        ("990102199003071233", {Problem.UNKNOWN_PROVINCE}),
        ("21010219900307123", {Problem.BAD_LENGTH}),
        ("2101021990030712333", {Problem.BAD_LENGTH}),
        ("21010219900307123A", {Problem.BAD_CHARACTERS}),
        ("2101021990030712X3", {Problem.BAD_CHARACTERS}),  # X only in the last place
        ("", {Problem.EMPTY}),
        ("   ", {Problem.EMPTY}),
    ],
)
def test_validity(raw: str, problems: set[Problem]) -> None:
    assert set(idnumber.check(raw, as_of=AS_OF).problems) == problems


@pytest.mark.parametrize(
    "raw",
    [
        "２１０１０２１９９００３０７１２３３",  # full-width digits
        "210102 19900307 1233",  # inner spaces
        "210102\u300019900307\t1233\n",  # ideographic space, tab, newline
        "\u00a0210102199003071233\u200b",  # no-break space, zero-width space
        "\ufeff210102199003071233",  # byte-order mark from a CSV export
    ],
)
def test_normalisation_recovers_the_number(raw: str) -> None:
    result = idnumber.check(raw, as_of=AS_OF)
    assert result.valid
    assert result.normalized == "210102199003071233"


def test_lower_case_x_is_upper_cased() -> None:
    result = idnumber.check("62102520040615123x", as_of=AS_OF)
    assert result.valid
    assert result.normalized.endswith("X")


def test_non_ascii_digits_other_than_full_width_are_rejected() -> None:
    # Arabic-Indic digits pass str.isdigit() but are not ASCII after NFKC.
    arabic = "٢١٠١٠٢١٩٩٠٠٣٠٧١٢٣٣"
    assert arabic.isdigit()
    assert set(idnumber.check(arabic, as_of=AS_OF).problems) == {Problem.BAD_CHARACTERS}


@pytest.mark.parametrize(
    ("birth", "as_of", "valid"),
    [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 1), True),  # born on the reference date
        (dt.date(2026, 11, 2), dt.date(2026, 11, 1), False),  # one day after it
        (dt.date(1900, 1, 1), dt.date(2026, 11, 1), True),
    ],
)
def test_birth_date_against_reference_date(birth: dt.date, as_of: dt.date, valid: bool) -> None:
    first17 = f"210102{birth:%Y%m%d}123"
    number = first17 + idnumber.check_digit(first17)
    result = idnumber.check(number, as_of=as_of)
    assert result.valid is valid
    if not valid:
        assert set(result.problems) == {Problem.FUTURE_BIRTH_DATE}


def test_birth_year_before_1900_is_rejected() -> None:
    first17 = "21010218991231123"
    result = idnumber.check(first17 + idnumber.check_digit(first17), as_of=AS_OF)
    assert set(result.problems) == {Problem.BAD_BIRTH_DATE}


def test_fifteen_digit_number_is_upgraded() -> None:
    result = idnumber.check("210102900307123", as_of=AS_OF)
    assert result.valid
    assert result.normalized == "210102199003071233"
    assert Note.UPGRADED_FROM_15 in result.notes
    assert result.birth_date == dt.date(1990, 3, 7)


def test_fifteen_digit_number_with_impossible_date_is_invalid() -> None:
    result = idnumber.check("510104900229123", as_of=AS_OF)
    assert set(result.problems) == {Problem.BAD_BIRTH_DATE}


def test_county_missing_from_current_table_is_a_note_not_a_rejection() -> None:
    # 622825 was Zhengning's code before 2002; the current table has 621025.
    first17 = "62282519900615123"
    result = idnumber.check(first17 + idnumber.check_digit(first17), as_of=AS_OF)
    assert result.valid
    assert Note.COUNTY_NOT_IN_CURRENT_TABLE in result.notes
    assert result.region is not None
    assert result.region.province == "甘肃省"
    assert result.region.county is None


def test_region_birth_date_and_sex() -> None:
    male = idnumber.check("210402200002291236", as_of=AS_OF)
    female = idnumber.check("11010519491231002X", as_of=AS_OF)
    assert male.region is not None
    assert male.region.label == "辽宁省抚顺市新抚区"
    assert (male.birth_date, male.sex) == (dt.date(2000, 2, 29), "男")
    assert female.region is not None
    assert female.region.label == "北京市朝阳区"
    assert female.sex == "女"


def test_check_digit_agrees_with_stdnum_on_a_large_random_sample() -> None:
    rng = random.Random(20261121)
    for _ in range(20_000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        ours = idnumber.check_digit(first17)
        assert ours == ric.calc_check_digit(first17 + ours), first17


def test_every_single_digit_error_is_caught() -> None:
    number = "210102199003071233"
    for position in range(17):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            typo = number[:position] + digit + number[position + 1 :]
            assert not idnumber.check(typo, as_of=AS_OF).valid, typo


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("210102199003071233", "210102********1233"),
        ("62102520040615123x", "621025********123X"),
        ("210102900307123", "210102******123"),
        ("12345", "***45"),
        ("1", "*"),
    ],
)
def test_mask(raw: str, masked: str) -> None:
    assert idnumber.mask(raw) == masked


def test_mask_never_shows_the_birth_date() -> None:
    rng = random.Random(7)
    for _ in range(2_000):
        birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
        first17 = f"210402{birth:%Y%m%d}{rng.randrange(1000):03d}"
        number = first17 + idnumber.check_digit(first17)
        masked = idnumber.mask(number)
        assert f"{birth:%Y%m%d}" not in masked
        assert f"{birth:%m%d}" not in masked[6:14]
        assert masked[6:14] == "********"


def test_upgrade15_rejects_other_shapes() -> None:
    with pytest.raises(ValueError, match="15"):
        idnumber.upgrade15("21010290030712X")

"""Resident identity numbers (GB 11643-1999 公民身份号码).

An 18-character number: a 6-digit region code (GB/T 2260), an 8-digit birth
date, a 3-digit sequence (odd for men, even for women) and a check character
computed with ISO 7064 MOD 11-2 (``0``-``9`` or ``X``). Numbers issued before
1999 had 15 digits (2-digit year, no check digit); they are upgraded.

Everything here works on one string; the checks module applies the same rules
set-wise in SQL. Never log a full ID number: use :func:`mask`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from crosscheck import regions

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
_SHAPE_15 = re.compile(r"[0-9]{15}")
_OLDEST_BIRTH_YEAR = 1900


class Problem(StrEnum):
    """Why an ID number is not valid. Stable codes; messages are in Chinese."""

    EMPTY = "empty"
    BAD_CHARACTERS = "bad_characters"
    BAD_LENGTH = "bad_length"
    UNKNOWN_PROVINCE = "unknown_province"
    BAD_BIRTH_DATE = "bad_birth_date"
    FUTURE_BIRTH_DATE = "future_birth_date"
    BAD_CHECK_DIGIT = "bad_check_digit"


class Note(StrEnum):
    """Facts about a valid number that a reviewer may want to know."""

    UPGRADED_FROM_15 = "upgraded_from_15"
    COUNTY_NOT_IN_CURRENT_TABLE = "county_not_in_current_table"


@dataclass(frozen=True)
class IdCheck:
    """The result of checking one ID number."""

    raw: str
    normalized: str
    problems: dict[Problem, str] = field(default_factory=dict)
    notes: dict[Note, str] = field(default_factory=dict)
    region: regions.Region | None = None
    birth_date: dt.date | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def sex(self) -> str | None:
        """男 or 女 from the sequence's last digit (valid numbers only)."""
        if not self.valid:
            return None
        return "男" if int(self.normalized[16]) % 2 else "女"

    @property
    def masked(self) -> str:
        return mask(self.normalized)


def normalize(raw: str) -> str:
    """NFKC, drop every whitespace and invisible format character, upper-case x.

    Full-width digits (１２３) become ASCII; the result may still hold other
    characters, which :func:`check` reports.
    """
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(
        ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc")
    )
    return text.upper()


def stored(raw: str) -> str:
    """The number as crosscheck stores and compares it, roster or registry (POLICY.md
    reading 2): :func:`normalize`, and a 15-digit legacy number upgraded to 18
    characters. Anything else is kept as normalised (and found invalid)."""
    text = normalize(raw)
    return upgrade15(text) if _SHAPE_15.fullmatch(text) else text


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def upgrade15(number15: str) -> str:
    """Upgrade a 15-digit legacy number (born 19YY) to 18 characters."""
    if not _SHAPE_15.fullmatch(number15):
        raise ValueError("upgrade15 needs exactly 15 ASCII digits")
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_digit(first17)


def mask(number: str) -> str:
    """The published form: never the birth date, never enough to rebuild the number.

    18 characters → region code, eight asterisks, last four (``210102********1233``);
    15 digits → region code, six asterisks, last three; anything else → all but
    the last two characters hidden.
    """
    text = normalize(number)
    if text.startswith("#"):  # a roster row without a usable number (connectors.roster)
        return "（无可用号码）"
    if len(text) == 18:
        return text[:6] + "*" * 8 + text[14:]
    if len(text) == 15:
        return text[:6] + "*" * 6 + text[12:]
    return "*" * max(len(text) - 2, 0) + text[-2:] if len(text) > 2 else "*" * len(text)


_ANY_ID = re.compile(r"(?<![0-9])([0-9]{6})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9])")


def mask_ids(text: str) -> str:
    """``text`` with every 18-character ID number in it masked (logs, crash files)."""
    return _ANY_ID.sub(r"\1********\2", text)


def mask_text(text: str) -> str:
    """A value shown to a person with any ID number in it masked — also one typed with
    full-width digits, spaces or a lower-case x (a registry's column as sent, a key
    built from the number, a column mapped to the wrong field)."""
    plain = normalize(text)
    if len(plain) in (15, 18) and plain[:17].isdigit():
        return mask(plain)
    folded = unicodedata.normalize("NFKC", text)
    masked = mask_ids(folded.upper())
    return masked if masked != folded.upper() else text


def check(raw: str, *, as_of: dt.date | None = None) -> IdCheck:
    """Check one ID number as of a reference date (default: today).

    Every problem found is reported, not only the first, so that a roster error
    can say all that is wrong with a number at once.
    """
    as_of = as_of or dt.date.today()
    text = normalize(raw)
    problems: dict[Problem, str] = {}
    notes: dict[Note, str] = {}

    if not text:
        return IdCheck(raw, text, {Problem.EMPTY: "身份证号码为空"})
    if _SHAPE_15.fullmatch(text):
        text = upgrade15(text)
        notes[Note.UPGRADED_FROM_15] = "15位旧号码，已按 GB 11643-1999 升级为18位"
    misplaced_x = "X" in text[:-1]
    bad = sorted({ch for ch in text if ch not in "0123456789X"})
    if bad or misplaced_x:
        parts = [f"含有非法字符 {''.join(bad)}"] if bad else []
        parts += ["X 只能出现在末位"] if misplaced_x else []
        problems[Problem.BAD_CHARACTERS] = "；".join(parts) + "（只允许数字，末位可为 X）"
        return IdCheck(raw, text, problems, notes)
    if len(text) != 18:
        problems[Problem.BAD_LENGTH] = f"长度为 {len(text)} 位，应为18位（或15位旧号码）"
        return IdCheck(raw, text, problems, notes)

    region = regions.lookup(text[:6])
    if region.province is None:
        problems[Problem.UNKNOWN_PROVINCE] = f"地区码 {text[:6]} 的省级代码 {text[:2]} 不存在"
    elif region.county is None:
        notes[Note.COUNTY_NOT_IN_CURRENT_TABLE] = (
            f"地区码 {text[:6]} 不在现行区划表中（可能是发证时有效、后已撤并的旧代码），仅作提示"
        )

    birth: dt.date | None = None
    try:
        birth = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        problems[Problem.BAD_BIRTH_DATE] = f"出生日期 {text[6:14]} 不是真实日期"
    else:
        if birth.year < _OLDEST_BIRTH_YEAR:
            problems[Problem.BAD_BIRTH_DATE] = f"出生日期 {birth.isoformat()} 早于1900年"
            birth = None
        elif birth > as_of:
            problems[Problem.FUTURE_BIRTH_DATE] = (
                f"出生日期 {birth.isoformat()} 晚于参照日期 {as_of.isoformat()}"
            )

    expected = check_digit(text[:17])
    if text[17] != expected:
        problems[Problem.BAD_CHECK_DIGIT] = (
            f"校验码错误：末位为 {text[17]}，按前17位应为 {expected}"
        )

    return IdCheck(raw, text, problems, notes, region, birth)

"""Hypothesis strategies for hostile inputs: 学员花名册 (.xlsx and CSV) and 开班备案 JSON.

A roster is drawn as a :class:`RosterSpec` (layout, columns, cells, file format and
encoding) and written by :func:`write_roster`; a filing as the bytes of a file
(:func:`filings`). The strategies aim at what institutions really send and at
what breaks parsers: title rows and merged headers, missing, doubled and unknown
columns, IDs stored as Excel numbers, full-width digits, control characters,
formulas, rich-markup look-alikes, huge cells, odd encodings, wrong JSON types,
huge and non-finite numbers, deep nesting and invalid UTF-8.

Used by ``tests/test_properties.py`` and ``tests/test_api_fuzz.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from crosscheck import idnumber

# the annex's columns, in its order
COLUMNS = ["序号", "姓名", "性别", "身份证号码", "毕业院校", "毕业时间", "学历", "联系电话"]
GROUPED = ("毕业院校", "毕业时间", "学历")  # under a merged “毕业情况” in two-row headers
UNKNOWN_COLUMNS = [
    "备注",
    "民族",
    "",
    "身份证号 码",
    " 姓 名 ",
    "培训专业",
    "所学专业",
    "Name",
    "ID",
]

# strings that have broken, or could break, a parser, a renderer or a spreadsheet
NASTY = [
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+2",
    "@SUM(1)",
    "=1/0",
    '=HYPERLINK("http://x")',
    "\x00",
    "a\x00b",
    "\x1b[31m红\x1b[0m",
    "a\rb",
    "a\nb",
    "a\r\nb",
    "\t",
    "\u200b",
    "\ufeff",
    "\u202e反向",
    "'",
    '"',
    '""',
    ",",
    ";",
    "NULL",
    "None",
    "nan",
    "inf",
    "-0",
    "1e400",
    "[bold]",
    "[/]",
    "[/red]",
    "[red]张[/blue]",
    "[link=file:///etc/passwd]x[/link]",
    ":smile:",
    "\\",
    "${jndi:ldap://x}",
    "%s%n",
    "{}",
    "𠀀𪚥",
    "李䶮",
    "阿卜杜·热合曼",
    "欧阳娜娜",
    "Ａ",
    "٣",
    "²",
    " ",
    "\u3000",
    "",
]
# text that rich (the CLI's console) would read as markup: user data printed through
# it must be escaped
MARKUP = [
    "[/]",
    "[/red]",
    "张[/]伟",
    "[red]张[/blue]",
    "[bold]",
    "2023-06-30[/]",
    "[link=file:///etc/passwd]x[/link]",
]
CJK = re.compile(r"[\u4e00-\u9fff]")

# ID numbers: valid ones are built from a region, a birth date and a sequence
REGIONS = ["210102", "210402", "210404", "210100", "621025", "510104", "110101", "999999"]
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def cjk_name(i: int) -> str:
    """A distinct plausible name for the i-th generated trainee (names have no digits)."""
    return "学员" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12]


def make_id(region: str, born: dt.date, seq: int) -> str:
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + idnumber.check_digit(first17)


@st.composite
def valid_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS[:-1]))
    born = draw(st.dates(dt.date(1960, 1, 1), dt.date(2006, 12, 31)))
    return make_id(region, born, draw(st.integers(0, 999)))


def _legacy(number: str) -> str:
    """The 15-digit form of an 18-digit number born 19YY (or the number itself)."""
    if number[6:8] == "19":
        return number[:6] + number[8:17]
    return number


@st.composite
def id_cells(draw: st.DrawFn, pool: list[str], *, well_formed: bool) -> Cell:
    """An ID number cell as people type it. ``well_formed`` keeps to forms a review
    accepts (possibly invalid IDs, which are findings, never Excel numbers)."""
    number = draw(st.sampled_from(pool) if pool else valid_ids())
    shapes = [
        "plain",
        "lower_x",
        "full_width",
        "spaces",
        "zero_width",
        "legacy15",
        "bad_check",
        "short",
        "letters",
    ]
    if not well_formed:
        shapes += ["as_int", "as_float", "float_text", "apostrophe", "blank", "nasty", "huge"]
    shape = draw(st.sampled_from(shapes))
    if shape == "plain":
        return Cell("s", number)
    if shape == "lower_x":
        return Cell("s", number.lower())
    if shape == "full_width":
        return Cell("s", number.translate(FULL_WIDTH))
    if shape == "spaces":
        return Cell("s", f" {number[:6]} {number[6:14]} {number[14:]}\u3000")
    if shape == "zero_width":
        return Cell("s", number[:9] + "\u200b" + number[9:] + "\ufeff")
    if shape == "legacy15":
        return Cell("s", _legacy(number))
    if shape == "bad_check":
        last = "0" if number[-1] != "0" else "1"
        return Cell("s", number[:-1] + last)
    if shape == "short":
        return Cell("s", number[: draw(st.integers(1, 17))])
    if shape == "letters":
        return Cell(
            "s", number[:10] + draw(st.sampled_from(["O", "l", "ⅰ", "٣", "x", "X"])) + number[11:]
        )
    if shape == "as_int":
        return Cell("n", int(number[:17] + ("0" if number[-1] == "X" else number[-1])))
    if shape == "as_float":
        return Cell("n", float(number[:17]))  # 2.10102199001011E+17: the last digits are gone
    if shape == "float_text":
        return Cell("s", f"{float(number[:17]):.14E}")
    if shape == "apostrophe":
        return Cell("s", "'" + number)
    if shape == "blank":
        return Cell("blank", None)
    if shape == "huge":
        return Cell("s", number * draw(st.sampled_from([6_000, 10_000])))
    return draw(nasty_cells())


@dataclass(frozen=True)
class Cell:
    """One spreadsheet cell: ``s`` text, ``n`` number, ``d`` datetime, ``dn`` a number
    with a date format, ``f`` formula (with its cached value), ``b`` boolean, ``blank``."""

    kind: str
    value: Any = None


def huge_text() -> st.SearchStrategy[str]:
    return st.builds(
        lambda ch, n: ch * n,
        st.sampled_from(["a", "身", "=", "\x00", "[", "1", "\r"]),
        st.sampled_from([100_000, 150_000]),
    )


def nasty_text(*, huge: bool = True) -> st.SearchStrategy[str]:
    parts: list[st.SearchStrategy[str]] = [
        st.sampled_from(NASTY),
        st.sampled_from(MARKUP),
        st.text(max_size=12),
        st.builds(lambda a, b: a + b, st.sampled_from(NASTY), st.sampled_from(NASTY)),
    ]
    if huge:
        parts.append(huge_text())
    return st.one_of(*parts)


@st.composite
def nasty_cells(draw: st.DrawFn) -> Cell:
    kind = draw(st.sampled_from(["s", "s", "s", "n", "d", "dn", "f", "b", "blank"]))
    if kind == "s":
        return Cell("s", draw(nasty_text()))
    if kind == "n":
        return Cell(
            "n",
            draw(
                st.one_of(
                    st.integers(-(2**53), 2**53),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([2.10102199001011e17, 1e308, -0.0, 45000.0]),
                )
            ),
        )
    if kind == "d":
        return Cell("d", draw(st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31))))
    if kind == "dn":
        return Cell(
            "dn", draw(st.sampled_from([-5.0, 0.0, 0.5, 60.0, 45000.0, 2958465.0, 2958466.0, 1e20]))
        )
    if kind == "f":
        formula = draw(
            st.sampled_from(["=cmd|' /C calc'!A0", "=1/0", "=1+1", '="张"&"伟"', "=NOW()"])
        )
        cached = draw(st.sampled_from([None, 0, "#DIV/0!", "2023-06-30", "=1", ""]))
        return Cell("f", (formula, cached))
    if kind == "b":
        return Cell("b", draw(st.booleans()))
    return Cell("blank", None)


DATE_TEXTS = [
    "2023-06-30",
    "2023.6.30",
    "2023年6月30日",
    "2023/06/30",
    "2023 - 06 - 30",
    "２０２３-０６-３０",
    "٢٠٢٣-٠٦-٣٠",
    "0001-01-01",
    "9999-12-31",
    "2024-02-29",
    "2023-02-29",
    "2023-13-01",
    "2023-00-10",
    "0000-01-01",
    "30/06/2023",
    "2023-6",
    "99999-01-01",
    "2023-06-30 00:00:00",
    "[/]",
    "2023-06-30[/red]",
    "[bold]2023-06-30",
]


@st.composite
def date_cells(draw: st.DrawFn, *, well_formed: bool) -> Cell:
    """A graduation date as people type it. ``well_formed`` keeps to dates the roster
    reader accepts (any real date, extreme years included)."""
    if well_formed:
        choice = draw(st.sampled_from(["text", "iso", "datetime", "blank"]))
        if choice == "text":
            return Cell("s", draw(st.sampled_from([*DATE_TEXTS[:9], "2024-02-29"])))
        if choice == "iso":
            day = draw(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
            return Cell("s", f"{day.year:04d}-{day.month:02d}-{day.day:02d}")
        if choice == "datetime":
            return Cell("d", draw(st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(9999, 12, 31))))
        return Cell("blank", None)
    return draw(
        st.one_of(
            st.sampled_from(DATE_TEXTS).map(lambda t: Cell("s", t)),
            st.sampled_from(MARKUP).map(lambda t: Cell("s", t)),
            st.dates().map(lambda d: Cell("s", d.isoformat())),
            nasty_cells(),
        )
    )


NAME_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF),
    st.sampled_from(["·", "•", "‧", "・", " ", "A", "z", "É", "〇"]),
)


@st.composite
def name_text(draw: st.DrawFn, *, well_formed: bool = False) -> str:
    """A non-empty trainee name: real, any CJK (extensions included), or — unless
    ``well_formed`` — hostile."""
    plausible = st.one_of(
        st.sampled_from(
            ["张伟", "李娜", "王芳", "李䶮", "阿卜杜·热合曼", "欧阳娜娜", "單玉", "Anna Li"]
        ),
        st.text(NAME_ALPHABET, min_size=1, max_size=50),
    )
    if well_formed:
        name = draw(plausible)
    else:
        name = draw(st.one_of(plausible, nasty_text(huge=False), huge_text()))
    return name if name.strip() else "张" + name


@dataclass(repr=False)
class RosterSpec:
    """Everything about one roster file."""

    fmt: str  # xlsx (xlsxwriter) | openpyxl | csv
    encoding: str  # csv: utf-8 | utf-8-sig | gb18030 | utf-16 | garbage
    quoting: str  # csv: csv (the csv module) | raw (joined with commas, nothing quoted)
    newline: str
    titles: list[str]
    info: dict[str, str] | None
    header: list[str]
    two_rows: bool
    rows: list[list[Cell]] = field(default_factory=list)
    garbage: bytes = b""

    def __repr__(self) -> str:
        return self.describe()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' failure report
        p.text(self.describe())

    def describe(self) -> str:
        """A short, readable account for a failure report (long cells abridged)."""

        def short(value: Any) -> str:
            text = repr(value)
            if len(text) < 80:
                return text
            if isinstance(value, str):
                return f"{value[:20]!r}…({len(value):,} characters)"
            return text[:60] + "…"

        rows = "; ".join(
            "[" + ", ".join(f"{c.kind}:{short(c.value)}" for c in row) + "]"
            for row in self.rows[:8]
        )
        more = f" …and {len(self.rows) - 8} more rows" if len(self.rows) > 8 else ""
        return (
            f"RosterSpec(fmt={self.fmt!r}, encoding={self.encoding!r}, quoting={self.quoting!r}, "
            f"newline={self.newline!r}, titles={[short(t) for t in self.titles]}, "
            f"info={self.info!r}, header={self.header!r}, two_rows={self.two_rows}, "
            f"rows=[{rows}]{more})"
        )


INFO_KEYS = ("培训机构", "培训专业", "班级编号", "开班时间")


@st.composite
def headers(draw: st.DrawFn, *, well_formed: bool) -> list[str]:
    """The header's columns: the annex's, some dropped, unknown ones added — and,
    unless ``well_formed`` (a review gets past the header), the ID or name column
    missing, a column given twice (身份证号 twice above all), the order shuffled."""
    columns = list(COLUMNS)
    if draw(st.booleans()):
        columns[3] = "身份证号"
    if well_formed:
        droppable = [c for c in columns if c not in ("姓名", "身份证号码", "身份证号")]
        unknown = [
            c for c in UNKNOWN_COLUMNS if re.sub(r"\s+", "", c) not in (*COLUMNS, "身份证号")
        ]
    else:
        droppable, unknown = columns, UNKNOWN_COLUMNS
    for name in draw(st.lists(st.sampled_from(droppable), max_size=3, unique=True)):
        columns.remove(name)
    for name in draw(st.lists(st.sampled_from(unknown), max_size=2, unique=well_formed)):
        columns.insert(draw(st.integers(0, len(columns))), name)
    if not well_formed and draw(st.integers(0, 3)) == 0:
        doubled = draw(st.sampled_from(["身份证号", "身份证号码", "姓名", "毕业时间"]))
        columns.insert(draw(st.integers(0, len(columns))), doubled)
    if not well_formed and draw(st.integers(0, 5)) == 0:
        columns = draw(st.permutations(columns))
    return columns


@st.composite
def row_cells(
    draw: st.DrawFn, header: list[str], pool: list[str], *, well_formed: bool, seq: int
) -> list[Cell]:
    cells: list[Cell] = []
    for name in header:
        key = re.sub(r"\s+", "", name)
        if key == "序号":
            cells.append(
                Cell("n", seq)
                if well_formed
                else draw(st.one_of(st.just(Cell("n", seq)), nasty_cells()))
            )
        elif key == "姓名":
            cells.append(
                Cell("s", draw(name_text(well_formed=True)))
                if well_formed
                else draw(st.one_of(name_text().map(lambda t: Cell("s", t)), nasty_cells()))
            )
        elif key in ("身份证号码", "身份证号"):
            cells.append(draw(id_cells(pool, well_formed=well_formed)))
        elif key == "毕业时间":
            cells.append(draw(date_cells(well_formed=well_formed)))
        elif key == "性别":
            sexes = ["男", "女", ""] if well_formed else ["男", "女", "", "未知", "M", "[/]"]
            cells.append(Cell("s", draw(st.sampled_from(sexes))))
        elif key == "联系电话":
            cells.append(
                draw(
                    st.one_of(
                        st.sampled_from(["13800001234", "1380000", "+86 138 0000 1234", ""]).map(
                            lambda t: Cell("s", t)
                        ),
                        st.just(Cell("n", 13800001234)),
                        nasty_cells(),
                    )
                )
            )
        elif well_formed:
            cells.append(
                draw(
                    st.one_of(
                        st.sampled_from(["沈阳工学院", "本科", "专科", ""]).map(
                            lambda t: Cell("s", t)
                        ),
                        nasty_text(huge=False).map(lambda t: Cell("s", t)),
                    )
                )
            )
        else:
            cells.append(draw(nasty_cells()))
    return cells


@st.composite
def rosters(draw: st.DrawFn, pool: list[str], *, well_formed: bool | None = None) -> RosterSpec:
    """A roster file. ``well_formed=True`` draws rosters a review gets past (every
    column it needs, every row a name and a typed ID, dates readable) with hostile
    content; ``False`` anything; ``None`` either."""
    if well_formed is None:
        well_formed = draw(st.booleans())
    fmt = draw(st.sampled_from(["xlsx", "xlsx", "openpyxl", "csv", "csv"]))
    encoding = "utf-8"
    if fmt == "csv":
        encodings = ["utf-8", "utf-8-sig", "gb18030"]
        encoding = draw(
            st.sampled_from(encodings if well_formed else [*encodings, "utf-16", "garbage"])
        )
    quoting = "csv" if well_formed else draw(st.sampled_from(["csv", "raw"]))
    # CR-only line ends (old Mac "CSV") are a file the reader may refuse as a whole
    newline = draw(st.sampled_from(["\r\n", "\n"] if well_formed else ["\r\n", "\n", "\r"]))
    titles = draw(
        st.lists(
            st.one_of(
                st.just("抚顺市高校毕业生专业转换及技能提升培训学员开班花名册"),
                nasty_text(huge=False),
            ),
            max_size=2,
        )
    )
    info: dict[str, str] | None = None
    if draw(st.booleans()):
        info = {}
        for key in draw(st.lists(st.sampled_from(INFO_KEYS), unique=True, max_size=4)):
            info[key] = draw(
                st.one_of(
                    st.sampled_from(["C9", "NEW-1", "沈阳工学院", "大数据开发", "2024年03月01日"]),
                    nasty_text(huge=False).filter(lambda t: t.strip() != ""),
                )
            )
    header = draw(headers(well_formed=well_formed))
    two_rows = draw(st.booleans())
    count = draw(st.integers(0 if not well_formed else 1, 6))
    rows = [draw(row_cells(header, pool, well_formed=well_formed, seq=i + 1)) for i in range(count)]
    if well_formed and draw(st.integers(0, 9)) == 0 and pool:
        # more trainees than a class may have (the 51st)
        keys = [re.sub(r"\s+", "", n) for n in header]
        for i in range(52):
            row = [Cell("s", "") for _ in header]
            for j, key in enumerate(keys):
                if key in ("身份证号码", "身份证号"):
                    row[j] = Cell("s", pool[i % len(pool)])
                elif key == "姓名":
                    row[j] = Cell("s", cjk_name(i))
            rows.append(row)
    garbage = draw(st.binary(min_size=1, max_size=64)) if encoding == "garbage" else b""
    return RosterSpec(
        fmt, encoding, quoting, newline, titles, info, header, two_rows, rows, garbage
    )


def _info_line(info: dict[str, str]) -> str:
    return "\u3000".join(f"{k}：{v}" for k, v in info.items())


def _header_rows(spec: RosterSpec) -> list[list[str]]:
    if not spec.two_rows:
        return [list(spec.header)]
    top = ["毕业情况" if h in GROUPED else h for h in spec.header]
    below = [h if h in GROUPED else "" for h in spec.header]
    return [top, below]


def _plain(cell: Cell) -> str:
    """A cell as a CSV producer writes it."""
    if cell.kind == "blank" or cell.value is None:
        return ""
    if cell.kind == "f":
        cached = cell.value[1]
        return "" if cached is None else str(cached)
    if cell.kind == "d":
        return cell.value.strftime("%Y-%m-%d")  # type: ignore[no-any-return]
    if cell.kind == "n" and isinstance(cell.value, float):
        return repr(cell.value) if not math.isfinite(cell.value) else f"{cell.value:.15G}"
    return str(cell.value)


def roster_bytes(spec: RosterSpec) -> bytes:
    """The CSV file's bytes."""
    lines: list[list[str]] = [[t] for t in spec.titles]
    if spec.info is not None:
        lines.append([_info_line(spec.info)])
    lines += _header_rows(spec)
    lines += [[_plain(c) for c in row] for row in spec.rows]
    if spec.quoting == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=spec.newline).writerows(lines)
        text = buffer.getvalue()
    else:
        text = "".join(",".join(line) + spec.newline for line in lines)
    if spec.encoding == "garbage":
        return spec.garbage + text.encode("utf-8", "surrogatepass")[:200] + b"\xff\xfe\x81"
    if spec.encoding == "utf-16":
        return text.encode("utf-16")
    return text.encode(spec.encoding, "surrogatepass")


def write_roster(spec: RosterSpec, folder: Path, stem: str = "roster") -> Path:
    """Write ``spec`` into ``folder``; return the file's path."""
    if spec.fmt == "csv":
        suffix = {"gb18030": ".gb18030.csv"}.get(spec.encoding, ".csv")
        path = folder / f"{stem}{suffix}"
        path.write_bytes(roster_bytes(spec))
        return path
    path = folder / f"{stem}.xlsx"
    if spec.fmt == "openpyxl":
        _write_openpyxl(spec, path)
    else:
        _write_xlsxwriter(spec, path)
    return path


def _write_xlsxwriter(spec: RosterSpec, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    ws = wb.add_worksheet()
    date_format = wb.add_format({"num_format": "yyyy-mm-dd"})
    width = max(len(spec.header), 1)
    r = 0
    lines = [*spec.titles, *([_info_line(spec.info)] if spec.info is not None else [])]
    for text in lines:
        if width > 1:
            ws.merge_range(r, 0, r, width - 1, text)
        else:
            ws.write_string(r, 0, text)
        r += 1
    if spec.two_rows:
        grouped = [j for j, h in enumerate(spec.header) if h in GROUPED]
        for j, h in enumerate(spec.header):
            if j in grouped:
                ws.write_string(r + 1, j, h)
            else:
                ws.merge_range(r, j, r + 1, j, h)
        if grouped:
            first, last = min(grouped), max(grouped)
            if last > first and grouped == list(range(first, last + 1)):
                ws.merge_range(r, first, r, last, "毕业情况")
            else:
                for j in grouped:
                    ws.write_string(r, j, "毕业情况")
        r += 2
    else:
        for j, h in enumerate(spec.header):
            ws.write_string(r, j, h)
        r += 1
    for row in spec.rows:
        for j, cell in enumerate(row):
            if cell.kind == "s":
                ws.write_string(r, j, cell.value)
            elif cell.kind == "n":
                ws.write_number(r, j, cell.value)
            elif cell.kind == "d":
                ws.write_datetime(r, j, cell.value, date_format)
            elif cell.kind == "dn":
                ws.write_number(r, j, cell.value, date_format)
            elif cell.kind == "f":
                formula, cached = cell.value
                ws.write_formula(r, j, formula, None, cached)
            elif cell.kind == "b":
                ws.write_boolean(r, j, cell.value)
        r += 1
    wb.close()


def _write_openpyxl(spec: RosterSpec, path: Path) -> None:
    """openpyxl writes cells of any length (xlsxwriter stops at 32,767 characters) but
    refuses control characters, which it cannot put into XML: those are dropped."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def clean(text: str) -> str:
        return str(ILLEGAL_CHARACTERS_RE.sub("", text))

    wb = Workbook()
    ws = wb.active
    width = max(len(spec.header), 1)
    r = 1
    lines = [*spec.titles, *([_info_line(spec.info)] if spec.info is not None else [])]
    for text in lines:
        ws.cell(r, 1, clean(text)).data_type = "s"
        if width > 1:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
        r += 1
    for k, header_row in enumerate(_header_rows(spec)):
        for j, h in enumerate(header_row):
            ws.cell(r + k, j + 1, h)
    if spec.two_rows:
        for j, h in enumerate(spec.header):
            if h not in GROUPED:
                ws.merge_cells(start_row=r, start_column=j + 1, end_row=r + 1, end_column=j + 1)
        r += 2
    else:
        r += 1
    for row in spec.rows:
        for j, cell in enumerate(row):
            target = ws.cell(r, j + 1)
            if cell.kind == "s":
                target.value = clean(cell.value)
                target.data_type = "s"  # never a formula
            elif cell.kind in ("n", "b"):
                target.value = cell.value
            elif cell.kind == "d" or cell.kind == "dn":
                target.value = cell.value
                target.number_format = "yyyy-mm-dd"
            elif cell.kind == "f":
                target.value = cell.value[0]
        r += 1
    wb.save(path)


# ---------------------------------------------------------------------------------
# filings (开班备案, JSON)

FILING_LABELS = {
    "class_id": "班级编号",
    "policy_id": "政策",
    "region_code": "行政区划代码",
    "institution_id": "培训机构编号",
    "major": "培训专业",
    "level": "培训等级",
    "venue_id": "培训场地编号",
    "offsite_filed": "异地备案",
    "planned_start": "开班时间",
    "planned_end": "结课时间",
    "months": "培训时限(月数)",
    "hours_per_day": "每日课时",
    "hours_total": "总课时",
    "hours_practice": "实操课时",
    "hours_online": "线上课时",
    "online_platform": "线上平台",
    "category": "培训类别",
    "project_ref": "培训项目编号",
    "filed_on": "备案日期",
    "filing_batch": "备案批次",
    "approved_on": "审批日期",
    "actual_start": "实际开班日期",
    "status": "状态",
}
REQUIRED_FILING = (
    "class_id",
    "region_code",
    "institution_id",
    "major",
    "planned_start",
    "planned_end",
)
DATE_FIELDS = ("planned_start", "planned_end", "filed_on", "approved_on", "actual_start")
INT_FIELDS = ("months", "hours_per_day", "hours_total", "hours_practice", "hours_online")
POLICIES = [
    "fushun-2023",
    "shenyang-2022",
    "zhengning-2022",
    "sichuan-2025",
    "liaoning-online-2023",
]


def json_garbage() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([10**30, -(10**30), 2**63, -(2**63) - 1, 10**400, -1, 0]),
        st.floats(),  # NaN and ±Infinity included
        st.sampled_from([1e30, -1e30, 1e308, 5e-324, -0.0]),
        nasty_text(huge=False),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(nasty_text(huge=False), inner, max_size=3)
        ),
        max_leaves=8,
    )


def field_values(name: str) -> st.SearchStrategy[Any]:
    """Values for one filing field: plausible, wrong-typed, extreme."""
    common = json_garbage()
    if name in DATE_FIELDS:
        return st.one_of(
            st.sampled_from(
                [
                    "0001-01-01",
                    "9999-12-31",
                    "2025-02-29",
                    "2024-02-29",
                    "20251215",
                    "2025-W51-1",
                    "2025-12-15T00:00",
                    "２０２５-１２-１５",
                    "2025-12-15 ",
                    "",
                    "yesterday",
                ]
            ),
            st.dates().map(dt.date.isoformat),
            common,
        )
    if name in INT_FIELDS:
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.sampled_from(
                [
                    10**30,
                    -(10**30),
                    2**31,
                    2**63,
                    "9" * 40,
                    "-5",
                    " 4 ",
                    "4.0",
                    "1e3",
                    "٤",
                    "1_000",
                    4.0,
                    4.5,
                    True,
                ]
            ),
            common,
        )
    if name == "offsite_filed":
        return st.one_of(st.sampled_from([True, False, "是", "否", "true", 1, 0]), common)
    if name == "region_code":
        return st.one_of(
            st.sampled_from(
                [
                    "210400",
                    "210100",
                    "210402",
                    "621025",
                    "510100",
                    "２１０４００",
                    "²¹⁰⁴⁰⁰",
                    "000000",
                    "999999",
                    "21040",
                    "2104000",
                    "210400\x00",
                    210400,
                ]
            ),
            common,
        )
    if name == "policy_id":
        return st.one_of(
            st.sampled_from(MARKUP),
            st.sampled_from([*POLICIES, "../policies/fushun-2023", "FUSHUN-2023"]),
            common,
        )
    if name == "class_id":
        return st.one_of(
            st.sampled_from(["C00001", "C00021", "NEW'1", "NEW\x001", "a" * 100_000]), common
        )
    return st.one_of(
        st.sampled_from(["电工", "I0004", "V0004", "初级", ""]), st.sampled_from(MARKUP), common
    )


@st.composite
def filing_documents(draw: st.DrawFn, base: dict[str, Any]) -> Any:
    """A filing as a JSON value: the base filing with some fields dropped, renamed to
    their Chinese labels, given wrong or extreme values, or unknown keys added — or
    something that is not an object at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_garbage().filter(lambda v: not isinstance(v, dict)))
    doc: dict[str, Any] = dict(base)
    keys = list(FILING_LABELS)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["drop", "set", "set", "label", "unknown"]))
        name = draw(st.sampled_from(keys))
        if action == "drop":
            doc.pop(name, None)
        elif action == "set":
            doc[name] = draw(field_values(name))
        elif action == "label":
            if name in doc:
                doc[FILING_LABELS[name]] = doc.pop(name)
            else:
                doc[FILING_LABELS[name]] = draw(field_values(name))
        else:
            doc[
                draw(
                    st.sampled_from(
                        [
                            "class-id",
                            "班级编号 ",
                            "",
                            "__proto__",
                            "planned_start_",
                            "x" * 500,
                            "[/]",
                        ]
                    )
                )
            ] = draw(json_garbage())
    return doc


@dataclass(frozen=True, repr=False)
class Blob:
    """A file's bytes, shown shortened in failure reports (a nested document may be
    hundreds of kilobytes)."""

    data: bytes

    def __repr__(self) -> str:
        if len(self.data) <= 400:
            return f"Blob({self.data!r})"
        return f"Blob({self.data[:300]!r} + … + {self.data[-60:]!r}, {len(self.data)} bytes)"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # hypothesis' failure report
        p.text(repr(self))


def filing_files(base: dict[str, Any]) -> st.SearchStrategy[Blob]:
    return filing_bytes(base).map(Blob)


@st.composite
def filing_bytes(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    """The bytes of a filing file: JSON of :func:`filing_documents`, in UTF-8 (with or
    without BOM, ASCII-escaped or not) — or damaged: invalid UTF-8, UTF-16, deeply
    nested, truncated, empty."""
    doc = draw(filing_documents(base))
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()), allow_nan=True)
    damage = draw(
        st.sampled_from(
            ["none"] * 6
            + ["bom", "invalid_utf8", "utf16", "nested", "truncated", "empty", "dupkey"]
        )
    )
    if damage == "bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8", "surrogatepass")
    if damage == "invalid_utf8":
        raw = text.encode("utf-8", "surrogatepass")
        at = draw(st.integers(0, len(raw)))
        return (
            raw[:at]
            + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80"]))
            + raw[at:]
        )
    if damage == "utf16":
        return text.encode("utf-16")
    if damage == "nested":
        depth = draw(st.sampled_from([1_000, 100_000]))
        return (
            ("[" * depth + "]" * depth).encode()
            if draw(st.booleans())
            else ('{"class_id": ' * depth + "1" + "}" * depth).encode()
        )
    if damage == "truncated":
        raw = text.encode("utf-8", "surrogatepass")
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if damage == "empty":
        return b""
    if damage == "dupkey" and text.startswith("{") and len(text) > 2:
        return ('{"class_id": "DUP", "class_id": null, ' + text[1:]).encode(
            "utf-8", "surrogatepass"
        )
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------
# inputs taken from a synthetic world


def world_inputs(world: Path) -> tuple[list[str], dict[str, Any]]:
    """ID numbers for rosters — valid ones with planted findings, trainees on file, a
    new one and one from an unknown province — and a valid filing for a new class
    modelled on the world's latest Fushun class."""
    import polars as pl

    roster = pl.read_parquet(world / "operations/roster_entries.parquet")
    planted = pl.read_parquet(world / "truth/expected_findings.parquet")
    ids = sorted(
        {i for i in planted["id_number"].drop_nulls().to_list() if idnumber.check(i).valid}
    )[:20]
    ids += sorted(set(roster["id_number"].to_list()))[:20]
    ids += [make_id("210402", dt.date(2000, 2, 29), 123), make_id("999999", dt.date(1999, 1, 1), 1)]
    classes = pl.read_parquet(world / "operations/classes.parquet").filter(
        pl.col("policy_id") == "fushun-2023"
    )
    row = classes.sort("planned_start").row(-1, named=True)
    filing = {
        "class_id": "DRAFT-1",
        "policy_id": "fushun-2023",  # mutations drop it too: then region and date choose
        "region_code": row["region_code"],
        "institution_id": row["institution_id"],
        "major": row["major"],
        "level": row["level"],
        "venue_id": row["venue_id"],
        "planned_start": row["planned_start"].isoformat(),
        "planned_end": row["planned_end"].isoformat(),
        "months": row["months"],
        "hours_per_day": row["hours_per_day"],
        "hours_total": row["hours_total"],
        "filed_on": row["filed_on"].isoformat(),
    }
    return ids, filing


def good_roster_csv(ids: list[str]) -> bytes:
    """A small roster every reader accepts."""
    lines = ["序号,姓名,性别,身份证号码,毕业院校,毕业时间,学历"]
    lines += [
        f"{i},{cjk_name(i)},男,{n},沈阳工学院,2024-06-30,本科" for i, n in enumerate(ids[:5], 1)
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")

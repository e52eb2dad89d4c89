"""Roster intake: 学员花名册 as institutions submit them.

Reads ``.xlsx`` (title rows, an information row, one- or two-row headers with
merged cells) and CSV in UTF-8 or GB18030, finds the columns by their Chinese
headers, and returns every trainee and every problem at once — row by row, in
Chinese, naming the file, the row (as the user sees it: Excel row numbers, CSV
line numbers) and the field. Nothing is repaired: an ID number that Excel stored
as a number has lost its last digits and can never link to anyone.

Only a file that cannot be read as a roster (unreadable, no header, a required
column missing or twice) is refused whole (:attr:`Roster.fatal`). A bad row is
still a trainee under review: an ID that is invalid, missing or stored as a
number is kept (the checks raise ID_INVALID for it; a placeholder ``#<row>``
stands for a number that is not there, so two such rows are never "the same
person"), a duplicate raises ROSTER_DUPLICATE, and a field that cannot be read
(a date, 性别) is left empty with its problem listed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crosscheck import idnumber
from crosscheck.names import NAME_MAX, name_problem

HEADER_NAMES = {
    "序号": "seq",
    "姓名": "name",
    "性别": "sex",
    "身份证号码": "id_number",
    "身份证号": "id_number",
    "毕业院校": "school_name",
    "毕业时间": "graduated_on",
    "学历": "education",
    "联系电话": "phone",
    "所学专业": "studied_major",
    "培训专业": "major",
}
REQUIRED = ("name", "id_number")
# problems the checks themselves report (ID_INVALID, ROSTER_DUPLICATE)
FLAGGED_BY_RULES = frozenset({"id_invalid", "duplicate", "id_stored_as_number", "id_missing"})
# problems that make the file no roster at all: it is refused whole
FILE_PROBLEMS = frozenset({"unreadable", "column_missing", "column_duplicate", "empty"})
LABELS = {v: k for k, v in HEADER_NAMES.items() if k != "身份证号"}
_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_INFO = re.compile(r"(培训机构|培训专业|班级编号|开班时间)[：:]\s*([^\u3000\s]+)")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        return f"{self.file} {where} {LABELS.get(self.field, self.field)}：{self.message}"


@dataclass
class Roster:
    file: str
    info: dict[str, str] = field(default_factory=dict)  # 培训机构 / 培训专业 / 班级编号 / 开班时间
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def fatal(self) -> list[Problem]:
        """The problems a review cannot pass over: the file is not a roster."""
        return [p for p in self.problems if p.code in FILE_PROBLEMS]

    def row_problem_rows(self) -> list[dict[str, Any]]:
        """:attr:`row_problems` as a review carries them: row, field (in Chinese), message."""
        return [
            {"row": p.row, "field": LABELS.get(p.field, p.field), "message": p.message}
            for p in self.row_problems
        ]

    @property
    def row_problems(self) -> list[Problem]:
        """Problems of single rows that the checks do not report themselves (a date or
        a 性别 that cannot be read, a name missing): listed beside the review."""
        return [
            p
            for p in self.problems
            if p.code not in FILE_PROBLEMS and p.code not in FLAGGED_BY_RULES
        ]


class RosterFileError(Exception):
    """The file cannot be read at all (not a roster, wrong encoding, no header)."""


def _cells(path: Path) -> tuple[list[list[Any]], int]:
    """The sheet's rows and the row number of the first one (1-based)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        except Exception:  # calamine raises its own error types, in English
            raise RosterFileError(
                f"{path.name}：无法读取 Excel 文件——文件已损坏、被加密，或不是 Excel 工作簿"
                "（请用 Excel 另存为 .xlsx 后重新上传）"
            ) from None
        return [list(r) for r in sheet.to_python(skip_empty_area=False)], 1
    if suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise RosterFileError(f"{path.name}：文件既不是 UTF-8 也不是 GB18030 编码")
        import csv
        import io

        try:
            return [list(r) for r in csv.reader(io.StringIO(text, newline=""))], 1
        except csv.Error:
            why = "不是有效的 CSV 文件（含有无法解析的内容）"
            raise RosterFileError(f"{path.name}：{why}") from None
    raise RosterFileError(f"{path.name}：不支持的文件类型 {suffix}（应为 .xlsx 或 .csv）")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header(rows: list[list[Any]]) -> tuple[int, dict[int, str], int]:
    """(index of the first header row, column → field, number of header rows)."""
    for i, row in enumerate(rows[:15]):
        names = [re.sub(r"\s+", "", _text(c)) for c in row]
        if "姓名" in names and any(n in ("身份证号码", "身份证号") for n in names):
            columns = {j: HEADER_NAMES[n] for j, n in enumerate(names) if n in HEADER_NAMES}
            depth = 1
            if i + 1 < len(rows):
                below = [re.sub(r"\s+", "", _text(c)) for c in rows[i + 1]]
                sub = {j: HEADER_NAMES[n] for j, n in enumerate(below) if n in HEADER_NAMES}
                if sub:
                    columns.update(sub)
                    depth = 2
            return i, columns, depth
    raise RosterFileError("找不到表头：应有一行同时含“姓名”和“身份证号码”")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    match = _DATE.match(_text(value))
    if not match:
        raise ValueError
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


def read(
    path: Path,
    *,
    known_majors: set[str] | None = None,
    as_of: dt.date | None = None,
    keep_flagged: bool = True,
) -> Roster:
    """Read a roster: every entry that can be read, and every problem. Without
    ``keep_flagged`` only the rows without any problem are entries (``--check-only``
    style validation)."""
    name = path.name
    try:
        rows, first = _cells(path)
        top, columns, depth = _header(rows)
    except RosterFileError as exc:
        message = str(exc).removeprefix(f"{name}：")
        return Roster(name, problems=[Problem(name, None, "file", "unreadable", message)])
    roster = Roster(name)
    for row in rows[:top]:
        for key, value in _INFO.findall(" ".join(_text(c) for c in row)):
            roster.info[key] = value
    missing = [f for f in REQUIRED if f not in columns.values()]
    for f in missing:
        roster.problems.append(
            Problem(name, first + top, f, "column_missing", f"缺少“{LABELS[f]}”列")
        )
    by_field: dict[str, list[int]] = {}
    for j, f in sorted(columns.items()):
        by_field.setdefault(f, []).append(j)
    for f, where in by_field.items():
        if len(where) > 1:  # which one is right cannot be told: the whole file waits
            letters = "、".join(column_letter(j) for j in where)
            roster.problems.append(
                Problem(
                    name,
                    first + top,
                    f,
                    "column_duplicate",
                    f"“{LABELS[f]}”列出现了 {len(where)} 次（第 {letters} 列）：请只保留一列",
                )
            )
    if missing or len(by_field) < len(columns):
        return roster
    major = roster.info.get("培训专业")
    if known_majors is not None and major and major not in known_majors:
        roster.problems.append(
            Problem(name, None, "major", "unknown_major", f"培训专业“{major}”不在核准专业目录内")
        )
    seen: dict[str, int] = {}
    for offset, cells in enumerate(rows[top + depth :]):
        line = first + top + depth + offset
        values = {f: cells[j] if j < len(cells) else None for j, f in columns.items()}
        if not any(_text(v) for v in values.values() if v is not None) or (
            _text(values.get("name")) == ""
            and _text(values.get("id_number")) == ""
            and not any(_text(values.get(f)) for f in ("school_name", "phone"))
        ):
            continue
        entry, problems = _entry(name, line, values, seen, known_majors, as_of)
        roster.problems += problems
        if not problems or keep_flagged:
            roster.entries.append(entry)
    if not roster.entries and not roster.problems:
        roster.problems.append(Problem(name, None, "file", "empty", "花名册中没有学员"))
    return roster


def _entry(
    name: str,
    line: int,
    values: dict[str, Any],
    seen: dict[str, int],
    known_majors: set[str] | None,
    as_of: dt.date | None,
) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    person = _text(values.get("name"))
    if not person:
        problems.append(Problem(name, line, "name", "name_missing", "姓名为空"))
    elif why := name_problem(person):
        problems.append(Problem(name, line, "name", "name_invalid", why))
        person = person[:NAME_MAX]  # never carry a 100,000-character cell further
    raw = values.get("id_number")
    number = ""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        problems.append(
            Problem(
                name,
                line,
                "id_number",
                "id_stored_as_number",
                "身份证号码被存成了数字，末几位已经丢失，无法还原；请把该列设为“文本”格式后重新录入",
            )
        )
    elif not _text(raw):
        problems.append(Problem(name, line, "id_number", "id_missing", "身份证号码为空"))
    else:
        check = idnumber.check(_text(raw), as_of=as_of)
        number = check.normalized
        if not check.valid:
            problems.append(
                Problem(name, line, "id_number", "id_invalid", "；".join(check.problems.values()))
            )
        elif number in seen:
            problems.append(
                Problem(
                    name,
                    line,
                    "id_number",
                    "duplicate",
                    f"与第{seen[number]}行是同一人（身份证号码重复）",
                )
            )
        else:
            seen[number] = line
    graduated: dt.date | None = None
    if _text(values.get("graduated_on")):
        try:
            graduated = _date(values["graduated_on"])
        except ValueError:
            problems.append(
                Problem(
                    name,
                    line,
                    "graduated_on",
                    "date_invalid",
                    f"“{_text(values['graduated_on'])}”不是有效日期（如 2023-06-30）",
                )
            )
    sex = _text(values.get("sex"))
    if sex and sex not in ("男", "女"):
        problems.append(
            Problem(name, line, "sex", "sex_invalid", f"性别“{sex[:10]}”应为“男”或“女”")
        )
    row_major = _text(values.get("major"))
    if known_majors is not None and row_major and row_major not in known_majors:
        problems.append(
            Problem(
                name, line, "major", "unknown_major", f"培训专业“{row_major}”不在核准专业目录内"
            )
        )
    if not number or any(p.code == "id_stored_as_number" for p in problems):
        number = f"#{line}"  # no number to link: never valid, never equal to another row's
    entry = {
        "seq": line,  # the Excel row: every message and evidence points at it
        "roster_no": _text(values.get("seq"))[:10] or None,  # the roster's own 序号
        "id_number": number,
        "id_number_raw": _text(raw) or None,
        "name": person,
        "sex": sex if sex in ("男", "女") else None,
        "school_name": _text(values.get("school_name")) or None,
        "graduated_on": graduated,
        "education": _text(values.get("education")) or None,
        "phone": _text(values.get("phone")) or None,
    }
    return entry, problems

"""Roster files as institutions submit them: 学员花名册 in .xlsx with the annex's
title rows and merged header cells, or as CSV in UTF-8 or GB18030.

Some .xlsx rosters store the ID column as Excel numbers — which destroys every
18-digit number (Excel keeps 15 significant digits): the loader must reject
those rows, never "repair" them. ``truth/rosters`` lists, per file, the row-level
errors a loader must report (Excel row numbers, as a user sees them).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import xlsxwriter

from crosscheck import idnumber

HEADERS = ["序号", "姓名", "性别", "身份证号码", "毕业院校", "毕业时间", "学历", "联系电话"]
FIRST_DATA_ROW = 5  # Excel row number of the first trainee (title, info, two header rows)
_FIXED = dt.datetime(2020, 1, 1)


def _title(policy_id: str) -> str:
    return {
        "shenyang-2022": "沈阳市高校毕业生专业转换及技能提升培训学员开班花名册",
        "fushun-2023": "抚顺市高校毕业生专业转换及技能提升培训学员开班花名册",
        "zhengning-2022": "正宁县职业技能培训学员花名册",
    }.get(policy_id, "职业技能培训学员花名册")


def expected_errors(
    entries: list[dict[str, Any]], ids_as_numbers: bool, first_row: int
) -> list[list[Any]]:
    """The problems a loader must report, row by row: destroyed IDs, invalid IDs, duplicates."""
    errors: list[list[Any]] = []
    seen: set[str] = set()
    for i, e in enumerate(entries):
        row = first_row + i
        raw = e["id_number_raw"]
        if ids_as_numbers and _as_number(raw) is not None:
            errors.append([row, "身份证号码", "id_stored_as_number"])
            continue
        check = idnumber.check(raw)
        if not check.valid:
            errors.append([row, "身份证号码", "id_invalid"])
        elif check.normalized in seen:
            errors.append([row, "身份证号码", "duplicate"])
        seen.add(check.normalized)
    return errors


def _as_number(raw: str) -> int | None:
    text = idnumber.normalize(raw)
    return int(text) if text.isdigit() and text.isascii() else None


def write_xlsx(
    path: Path,
    klass: dict[str, Any],
    institution: str,
    entries: list[dict[str, Any]],
    ids_as_numbers: bool,
) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": _FIXED, "author": "crosscheck synthetic world"})
    ws = wb.add_worksheet("花名册")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 7, _title(klass["policy_id"]), title)
    ws.merge_range(
        1,
        0,
        1,
        7,
        f"培训机构：{institution}　培训专业：{klass['major']}　"
        f"班级编号：{klass['class_id']}　开班时间：{klass['planned_start']:%Y年%m月%d日}",
    )
    for col in (0, 1, 2, 3, 7):
        ws.merge_range(2, col, 3, col, HEADERS[col], head)
    ws.merge_range(2, 4, 2, 6, "毕业情况", head)
    for col in (4, 5, 6):
        ws.write(3, col, HEADERS[col], head)
    for i, e in enumerate(entries):
        r = FIRST_DATA_ROW - 1 + i
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, e["name"])
        ws.write_string(r, 2, e["sex"] or "")
        number = _as_number(e["id_number_raw"]) if ids_as_numbers else None
        if number is not None:
            ws.write_number(r, 3, float(number))
        else:
            ws.write_string(r, 3, e["id_number_raw"])
        ws.write_string(r, 4, e["school_name"] or "")
        grad = e["graduated_on"]
        if grad is None:
            ws.write_blank(r, 5, None)
        elif i % 3 == 1:  # offices mix real dates and text such as 2023.6.30
            ws.write_string(r, 5, f"{grad.year}.{grad.month}.{grad.day}")
        else:
            ws.write_datetime(r, 5, dt.datetime.combine(grad, dt.time()), date_fmt)
        ws.write_string(r, 6, e["education"] or "")
        ws.write_string(r, 7, e["phone"])
    ws.set_column(3, 3, 22)
    wb.close()


def write_csv(path: Path, entries: list[dict[str, Any]], encoding: str) -> None:
    lines = [",".join(HEADERS)]
    for i, e in enumerate(entries):
        grad = e["graduated_on"].isoformat() if e["graduated_on"] else ""
        lines.append(
            ",".join(
                [
                    str(i + 1),
                    e["name"],
                    e["sex"] or "",
                    e["id_number_raw"],
                    e["school_name"] or "",
                    grad,
                    e["education"] or "",
                    e["phone"],
                ]
            )
        )
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))


def write_all(
    root: Path,
    classes: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    institutions: dict[str, str],
    limit: int,
) -> list[dict[str, Any]]:
    """Write roster files for the first ``limit`` classes; return the truth rows."""
    folder = root / "rosters"
    folder.mkdir(parents=True, exist_ok=True)
    by_class: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_class.setdefault(e["class_id"], []).append(e)
    truth = []
    for n, klass in enumerate(classes[:limit]):
        cid = klass["class_id"]
        rows = by_class.get(cid, [])
        kind = ("xlsx", "xlsx", "xlsx", "csv-utf8", "xlsx", "csv-gb18030")[n % 6]
        numbers = kind == "xlsx" and n % 10 == 4
        if kind == "xlsx":
            name = f"{cid}.xlsx"
            write_xlsx(folder / name, klass, institutions[klass["institution_id"]], rows, numbers)
            first = FIRST_DATA_ROW
        else:
            name = f"{cid}.{'utf8' if kind == 'csv-utf8' else 'gb18030'}.csv"
            write_csv(folder / name, rows, "utf-8" if kind == "csv-utf8" else "gb18030")
            first = 2
        truth.append(
            {
                "file": name,
                "class_id": cid,
                "format": kind,
                "ids_as_numbers": numbers,
                "expected_errors": json.dumps(expected_errors(rows, numbers, first)),
            }
        )
    return truth

"""The documents crosscheck produces for people, in the notices' own layout and
terms: the 补贴核算表 (001 annex 8) and the 公示名单 (000 §3(七), 001 §4(六)).
Every ID number in them is masked."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Text is text: a trainee or institution name that starts with "=" (formula
# injection: ``=cmd|' /C calc'!A0``) or looks like a number or a link is written as
# a string, never interpreted.
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def workbook(path: Path) -> Any:
    """A new ``xlsxwriter`` workbook at ``path`` that writes every string as text."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    return xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)


# Government forms: 宋体 for the body, 黑体 for titles (with fallbacks a machine
# without them has: LibreOffice and Excel substitute by name).
BODY_FONT = "宋体"
TITLE_FONT = "黑体"


def formats(wb: Any) -> dict[str, Any]:
    """The cell formats every printed form uses."""
    base = {"font_name": BODY_FONT, "font_size": 10, "valign": "vcenter"}
    box = {**base, "border": 1}
    return {
        "title": wb.add_format(
            {**base, "font_name": TITLE_FONT, "font_size": 16, "bold": True, "align": "center"}
        ),
        "line": wb.add_format(base),
        "head": wb.add_format({**box, "bold": True, "align": "center", "text_wrap": True}),
        "cell": wb.add_format(box),
        "center": wb.add_format({**box, "align": "center"}),
        "wrap": wb.add_format({**box, "text_wrap": True}),
        "day": wb.add_format({**box, "num_format": "yyyy-mm-dd", "align": "center"}),
        "money": wb.add_format({**box, "num_format": "#,##0.00"}),
        "percent": wb.add_format({**box, "num_format": "0%"}),
        "bold": wb.add_format({**box, "bold": True}),
        "bold_money": wb.add_format({**box, "bold": True, "num_format": "#,##0.00"}),
        "sign": wb.add_format({**box, "valign": "top", "text_wrap": True}),
        "note": wb.add_format({**base, "text_wrap": True, "valign": "top"}),
    }


def print_setup(
    ws: Any, header_rows: tuple[int, int], last_col: int, last_row: int, *, landscape: bool = True
) -> None:
    """Landscape (or portrait) A4, one page wide (as many tall as needed), ``header_rows`` repeated
    on every page, the print area the form's, page numbers in the footer."""
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    ws.print_area(0, 0, last_row, last_col)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")


def lines(text: str, width: float) -> int:
    """Printed lines of ``text`` in a column ``width`` characters wide (a CJK
    character takes two): what a wrapped row's height is made from."""
    cells = sum(2 if ord(c) > 0x2E80 else 1 for c in text)
    return max(1, -(-cells // (int(width) - 1)))


def column_widths(ws: Any, widths: Sequence[float]) -> None:
    """Each column's width, from the first."""
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)


def chinese_date(day: Any) -> str:
    return f"{day:%Y年%m月%d日}"

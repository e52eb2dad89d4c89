"""The documents crosscheck produces for people, in the notices' own layout and
terms: the 补贴核算表 (001 annex 8) and the 公示名单 (000 §3(七), 001 §4(六)).
Every ID number in them is masked."""

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

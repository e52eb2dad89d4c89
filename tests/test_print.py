"""The workbooks officials print: rendered to PDF by LibreOffice (headless, Debian's
package, installed by the test when missing), pages counted and read (issue 13).

The 补贴核算表 is one page wide in landscape with its header rows on every page;
the 公示名单 is portrait, one page wide, with the column headers (and so the
institution column) on every page.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from crosscheck import warehouse
from crosscheck.checks import accounting, runner
from crosscheck.office import Office
from crosscheck.reports import accounting as sheet
from crosscheck.reports import notice

from .test_accounting import AS_OF, _class, _exam, _finding, _roster

PACKAGES = ["libreoffice-calc-nogui", "fonts-wqy-microhei", "poppler-utils"]


@pytest.fixture(scope="session")
def soffice() -> str:
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail(f"需要 Debian 的 {' '.join(PACKAGES)}（apt-get install）")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)
    found = shutil.which("soffice")
    assert found
    return found


def to_pdf(soffice: str, xlsx: Path) -> list[str]:
    """The workbook printed to PDF: the text of each page."""
    out = xlsx.parent / "pdf"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{xlsx.parent / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = out / (xlsx.stem + ".pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert count == len(pages)
    return pages


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """Sixty Fushun classes of ten (two rates each), two of them blocked."""
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    for k in range(60):
        class_id = f"K{k:02d}"
        _class(con, class_id, institution_id=f"I{k % 4}")
        people = [f"{class_id}P{i:02d}" for i in range(10)]
        _roster(con, class_id, people)
        for i, person in enumerate(people):
            _exam(con, class_id, person, "skill_level" if i % 2 else "special_ability")
    _finding(con, "K03", None, "NOT_ACCEPTED", "block")
    _finding(con, "K17", None, "NOT_ACCEPTED", "block")
    runner.class_params(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT class_id FROM classes")
    return con


def test_the_accounting_table_prints_one_page_wide_with_its_headers_on_every_page(
    soffice: str, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    frame = accounting.describe(con, accounting.compute(con, AS_OF))
    xlsx = tmp_path / "补贴核算表.xlsx"
    sheet.write(xlsx, frame, unit="抚顺市就业和人才服务中心", issued_on=dt.date(2025, 1, 9))
    pages = to_pdf(soffice, xlsx)
    # 58 classes to pay × 2 rates = 116 rows, then 暂不拨付 (2 classes), then 核查说明
    held = next(i for i, p in enumerate(pages) if "暂不拨付班级" in p)
    main = pages[:held]
    assert len(main) >= 2, len(main)
    for page in main:
        # one page wide: the first and the last of the annex's columns on every page
        assert "序号" in page
        assert "材料是否" in page  # 材料是否齐全, wrapped in its narrow column
        assert "实际补贴金额" in page
    assert "第 1 页" in pages[0]
    assert "合计" in main[-1]
    assert "负责人：(签字)" in main[-1]
    assert "K03" in pages[held]
    assert "K17" in pages[held]
    assert not any("K03" in p for p in main)
    notes = pages[held + 1 :]
    assert notes
    assert all("其他原因不予补贴" in p for p in notes)


def test_the_public_notice_prints_with_the_institution_column_on_every_page(
    soffice: str, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    table = accounting.describe(con, accounting.compute(con, AS_OF))
    ids = table["class_id"].to_list()
    result = notice.build(
        "B202501", dict.fromkeys(ids, dt.date(2025, 1, 9)), table, accounting.people(con)
    )
    xlsx = tmp_path / "公示名单.xlsx"
    notice.write(xlsx, result, office=Office("抚顺市就业和人才服务中心", None, "024-00000000"))
    pages = to_pdf(soffice, xlsx)
    # 58 classes × 10 trainees, a 小计 each: 638 rows, portrait
    assert len(pages) >= 5, len(pages)
    for page in pages:
        assert "培训机构名称" in page
        assert "身份证号码" in page
        assert "补贴金额" in page
    assert "公示单位：抚顺市就业和人才服务中心" in pages[0]
    assert "2025年01月09日至2025年01月15日（5个工作日）" in pages[0]
    assert "合计" in pages[-1]


def test_the_monthly_report_prints_each_view_one_page_wide_with_its_title_and_charts(
    soffice: str, small_published: dict[str, Path], tmp_path: Path
) -> None:
    """The monthly report as a provincial analyst prints it: each sheet a form with
    the place, month and filters in its title, 填报单位 and 数据截至, Chinese
    severities and a chart beside the figures; an empty view says "本月无"."""
    import zipfile

    from crosscheck.reports import monthly
    from crosscheck.reports.publish import open_published

    board = open_published(small_published["published"])
    try:
        month = monthly.months(board)[0]
        busiest = board.execute(  # classes opened, and money from classes ending
            "SELECT month_opened FROM classes WHERE month_opened IN "
            "(SELECT month_ended FROM classes WHERE approved_fen > 0) "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchall()[0][0]
        province = monthly.cities(board)[0][:2]
        full = monthly.write_xlsx(
            board,
            monthly.Filters(busiest, province=province),
            tmp_path / "full" / "月度报告.xlsx",
            issued_on=dt.date(2026, 1, 5),
        )
        # a policy with no class in the province: every view is empty
        other = board.execute(
            "SELECT policy_id FROM classes WHERE substr(city_code, 1, 2) <> $p LIMIT 1",
            {"p": province},
        ).fetchall()
        empty = monthly.write_xlsx(
            board,
            monthly.Filters(month, province=province, policy=other[0][0] if other else "none"),
            tmp_path / "empty" / "月度报告.xlsx",
        )
    finally:
        board.close()
    charts = [n for n in zipfile.ZipFile(full).namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2  # money by city, findings by rule
    pages = to_pdf(soffice, full)
    year, mon = busiest.split("-")
    assert any(f"职业技能培训补贴月度报告（{year}年{int(mon)}月）— 按城市" in p for p in pages)
    assert all("填报单位：" in p and "数据截至：" in p for p in pages if "月度报告" in p)
    assert "填报日期：2026年01月05日" in pages[0]
    rules = next(p for p in pages if "— 按规则" in p)
    assert "阻断" in rules or "不予补贴" in rules or "人工复核" in rules
    assert " block " not in rules
    for page in pages:  # one page wide: each view's last column is on its pages
        if "— 按城市" in page or "— 按专业" in page:
            assert "暂缓金额" in page
    nothing = to_pdf(soffice, empty)
    text = "\n".join(nothing)
    assert "本月无开班或结课的班级" in text
    assert "本月无核查问题" in text
    assert "本月无跨地区参训或重复享受补贴的情况" in text

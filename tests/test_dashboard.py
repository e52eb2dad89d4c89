"""The dashboard in a real headless Chromium (Debian's package, driven by
Playwright): log in, load a month, filter to a city, drill down to a class,
download the monthly .xlsx, take a screenshot.

The test installs what it needs when it is missing (Debian's ``chromium`` and a
CJK font, so that Chinese renders in the screenshot); it never downloads a
browser of Playwright's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_service import FULL_ID, service

__all__ = ["service"]  # the fixture, shared with the API tests

CHROMIUM = Path("/usr/bin/chromium")
FONT_DIR = Path("/usr/share/fonts/truetype/wqy")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists() or not FONT_DIR.exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail("需要 Debian 的 chromium 与 fonts-wqy-microhei（apt-get install）")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-wqy-microhei"],
            check=True,
            env=env,
        )
    return CHROMIUM


def test_dashboard_month_city_class_download_screenshot(
    service: tuple[str, dict[str, Path]], chromium: Path, tmp_path: Path
) -> None:
    import openpyxl
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    shots = Path(os.environ.get("CROSSCHECK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(url + "/")
            expect(page.locator("#login-panel")).to_be_visible()
            page.fill("#token", "wrong-token")
            page.click("#login")
            expect(page.locator("#login-error")).to_contain_text("令牌无效")
            page.fill("#token", "crosscheck-viewer-dev")
            page.click("#login")
            expect(page.locator("#app")).to_be_visible()
            # the month with the most classes opened, and money from classes ending
            from crosscheck.reports.publish import open_published

            con = open_published(files["published"])
            try:
                best = con.execute(
                    "SELECT month_opened FROM classes WHERE month_opened IN "
                    "(SELECT month_ended FROM classes WHERE in_accounting) "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                ).fetchall()[0][0]
            finally:
                con.close()
            page.select_option("#month", best)
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            assert page.locator("#chart-money svg rect").count() > 0
            assert page.locator("#chart-rules svg rect").count() > 0
            assert page.locator("#chart-trend svg rect").count() > 0
            cards = page.locator("#cards").inner_text()
            assert "开班数" in cards
            assert "核定金额" in cards
            # filter to one city: the table keeps only that city
            city_name = page.locator("#by-city tr[data-i] td").first.inner_text()
            page.select_option("#city", label=city_name)
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            city_rows = page.locator("#by-city tr[data-i]")
            expect(city_rows).to_have_count(1)
            assert city_name in city_rows.first.inner_text()
            # drill down: city → its classes → one class's findings
            city_rows.first.click()
            expect(page.locator("#city-panel")).to_be_visible()
            classes = page.locator("#city-classes tr[data-i]")
            assert classes.count() > 0
            class_id = classes.first.locator("td").first.inner_text()
            classes.first.click()
            expect(page.locator("#class-title")).to_contain_text(class_id)
            findings = page.locator("#class-findings").inner_text()
            assert not FULL_ID.search(findings)
            assert re.search(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]", findings) or "（班级）" in findings
            # the monthly workbook
            with page.expect_download() as info:
                page.click("#download")
            target = tmp_path / "report.xlsx"
            info.value.save_as(target)
            book = openpyxl.load_workbook(target)
            assert book.sheetnames[:3] == ["按城市", "按专业", "按培训机构"]
            assert book["按城市"].cell(4, 1).value == city_name
            shot = shots / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
        finally:
            browser.close()


def test_the_upload_page_says_every_refusal_in_chinese_and_fits_a_phone(
    service: tuple[str, dict[str, Path]], chromium: Path, tmp_path: Path
) -> None:
    """The roster-upload page (/review) in Chromium, at phone width: laid out for the
    phone (viewport), a good check shows its result with Chinese severities, then a
    refused one hides that result and says why in Chinese — a malformed request
    (no roster) included, which showed "undefined：" — and the button is disabled
    while a check runs."""
    import polars as pl
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    world = files["world"]
    row = pl.read_parquet(world / "operations/classes.parquet").row(0, named=True)
    roster = next((world / "rosters").glob(f"{row['class_id']}.*"))
    bad = tmp_path / "bad.csv"
    bad.write_text("序号,姓名,性别,身份证号码\n1,,男,210102199003071233\n", encoding="utf-8")
    shots = Path(os.environ.get("CROSSCHECK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2
            )
            page.goto(url + "/review")
            assert page.evaluate("document.documentElement.clientWidth") == 390
            page.fill("#token", "crosscheck-reviewer-dev")
            page.fill("#f-class_id", "NEW1")
            for field in ("region_code", "institution_id", "major"):
                page.fill(f"#f-{field}", str(row[field]))
            page.fill("#f-planned_start", row["planned_start"].isoformat())
            page.fill("#f-planned_end", row["planned_end"].isoformat())
            page.click("#check-draft")  # no roster chosen: FastAPI's own 422
            expect(page.locator("#error")).to_contain_text("学员花名册")
            expect(page.locator("#error")).not_to_contain_text("undefined")
            page.set_input_files("#roster", str(roster))
            page.click("#check-draft")
            expect(page.locator("#result")).to_be_visible(timeout=30_000)
            expect(page.locator("#verdict")).to_contain_text("开班审核结论")
            findings = page.locator("#findings").inner_text()
            assert not re.search(r"\b(block|exclude|review)\b", findings)
            assert not FULL_ID.search(page.content())
            page.screenshot(path=str(shots / "review-phone-result.png"), full_page=True)
            page.set_input_files("#roster", str(bad))
            page.click("#check-draft")
            expect(page.locator("#error")).to_contain_text("姓名为空")
            expect(page.locator("#result")).to_be_hidden()
            expect(page.locator("#check-draft")).to_be_enabled()
            page.screenshot(path=str(shots / "review-phone-refused.png"), full_page=True)
        finally:
            browser.close()

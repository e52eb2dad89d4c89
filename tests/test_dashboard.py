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
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

from tests.test_service import FULL_ID, service

__all__ = ["service"]  # the fixture, shared with the API tests

CHROMIUM = Path("/usr/bin/chromium")
FONT_DIR = Path("/usr/share/fonts/truetype/wqy")
RARE_FONT_DIR = Path("/usr/share/fonts/truetype/hanazono")  # CJK Extension A/B
# every page is tested at both sizes people meet it at
SIZES = pytest.mark.parametrize(
    ("device", "viewport"),
    [("desktop", {"width": 1440, "height": 900}), ("phone", {"width": 390, "height": 844})],
)
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
    if not CHROMIUM.exists() or not FONT_DIR.exists() or not RARE_FONT_DIR.exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail(
                "需要 Debian 的 chromium、fonts-wqy-microhei 与 fonts-hanazono（apt-get install）"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "fonts-wqy-microhei", "fonts-hanazono"],
            check=True,
            env=env,
        )
    return CHROMIUM


def _login(page: Any, url: str, fragment: str = "", token: str = "crosscheck-viewer-dev") -> None:
    from playwright.sync_api import expect

    page.goto(url + "/" + fragment)
    expect(page.locator("#login-panel")).to_be_visible()
    page.fill("#token", token)
    page.click("#login")
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("已加载")


def _best_month(published: Path) -> str:
    """The month with the most classes opened that also has classes ending."""
    from crosscheck.reports.publish import open_published

    con = open_published(published)
    try:
        return str(
            con.execute(
                "SELECT month_opened FROM classes WHERE month_opened IN "
                "(SELECT month_ended FROM classes WHERE in_accounting) "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ).fetchall()[0][0]
        )
    finally:
        con.close()


def _series(page: Any, chart: str) -> list[Any]:
    """The data an ECharts chart draws (its option, read back from the page)."""
    return list(
        page.evaluate(
            f"echarts.getInstanceByDom(document.getElementById('{chart}'))"
            ".getOption().series.map((s) => s.data)"
        )
    )


@SIZES
def test_dashboard_drills_down_to_a_class_and_a_trainee_and_downloads(
    service: tuple[str, dict[str, Path]],
    chromium: Path,
    screenshots: Path,
    tmp_path: Path,
    device: str,
    viewport: ViewportSize,
) -> None:
    """Log in, pick a month, filter to a city, click through to a class and one of
    its trainees, read the evidence as sentences with the JSON behind 详情, download
    the monthly report and the class's findings, reopen the view from its URL — at
    desktop and phone width, with no horizontal scroll on the phone."""
    import openpyxl
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    best = _best_month(files["published"])
    shots = screenshots
    phone = device == "phone"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(
                viewport=viewport, accept_downloads=True, is_mobile=phone, has_touch=phone
            )
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url + "/")
            page.fill("#token", "wrong-token")
            page.click("#login")
            expect(page.locator("#login-error")).to_contain_text("账号或密钥不正确")
            _login(page, url)
            page.select_option("#month", best)
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            assert "month=" + best in page.url  # the filters live in the URL
            # the charts are ECharts, with data; the trend has twelve months, none skipped
            assert page.evaluate("typeof echarts") == "object"
            assert sum(_series(page, "chart-rules")[0]) > 0
            assert any(v for s in _series(page, "chart-money") for v in s)
            months = page.evaluate(
                "echarts.getInstanceByDom(document.getElementById('chart-trend'))"
                ".getOption().xAxis[0].data"
            )
            assert len(months) == 12
            assert months[-1] == best
            cards = page.locator("#cards").inner_text()
            assert "开班数" in cards
            assert "核定" in cards
            # filter to one city: the table keeps only that city
            rows = page.locator("#by-city tbody tr")
            city_name = rows.first.locator("td").first.inner_text()
            page.select_option("#city", label=city_name)
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            expect(rows).to_have_count(1)
            # drill down: city → its classes → one class's findings
            rows.first.click()
            expect(page.locator("#list-panel")).to_be_visible()
            classes = page.locator("#class-list tbody tr")
            expect(classes.first).to_be_visible()
            class_id = classes.first.locator("td").first.inner_text()
            classes.first.click()
            expect(page.locator("#class-title")).to_contain_text(class_id)
            expect(page.locator("#state-class")).to_have_text("")
            table = page.locator("#class-findings")
            text = table.inner_text()
            assert not FULL_ID.search(page.content())
            if page.locator("#class-findings tbody tr").count():
                # sentences, not JSON with English keys; the record itself behind 详情
                assert '{"' not in text
                assert re.search(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]|（班级）", text)
                details = page.locator("#class-findings details").first
                details.locator("summary").click()
                assert details.locator("code").inner_text().lstrip().startswith("{")
                assert not re.search(r"\b(block|exclude|review)\b", text)
            with page.expect_download() as info:
                page.click("#class-download")
            target = tmp_path / f"class-{device}.xlsx"
            info.value.save_as(target)
            sheet = openpyxl.load_workbook(target)["核查问题清单"]
            assert class_id in str(sheet.cell(1, 1).value)
            # a trainee of the class: every class and finding of that person
            person = page.locator("#class-findings tbody tr", has_text="*" * 8).first
            if person.count():
                person.locator("td").first.click()
                expect(page.locator("#trainee-panel")).to_be_visible()
                expect(page.locator("#trainee-title")).to_contain_text("*" * 8)
                assert class_id in page.locator("#trainee-classes").inner_text()
                assert "trainee=" in page.url
            # the monthly workbook
            with page.expect_download() as info:
                page.click("#download")
            target = tmp_path / f"report-{device}.xlsx"
            info.value.save_as(target)
            book = openpyxl.load_workbook(target)
            assert "按城市" in book.sheetnames
            # a shared link opens the same view: month, city, class
            link = page.url
            second = browser.new_page(viewport=viewport, is_mobile=phone, has_touch=phone)
            _login(second, url, "#" + link.split("#", 1)[1])
            assert second.locator("#month").input_value() == best
            assert second.locator("#city option:checked").inner_text() == city_name
            expect(second.locator("#class-title")).to_contain_text(class_id)
            if phone:  # laid out for the phone: nothing wider than the screen
                for view in (page, second):
                    assert view.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(shots / f"dashboard-{device}.png"), full_page=True)
            second.close()
            # another month: the old class and trainee close with it, in the URL too
            other = next(o for o in page.locator("#month option").all_inner_texts() if o != best)
            page.select_option("#month", other)
            expect(page.locator("#status")).to_have_text(f"{other} 已加载")
            expect(page.locator("#class-panel")).to_be_hidden()
            expect(page.locator("#trainee-panel")).to_be_hidden()
            assert "trainee=" not in page.url
            assert "cls=" not in page.url
            # logging out leaves nothing for the next person: no token, no view
            page.click("#logout")
            expect(page.locator("#login-panel")).to_be_visible()
            assert page.locator("#token").input_value() == ""
            assert page.evaluate("location.hash") == ""
            assert page.locator("#cards .card").count() == 0
            assert not errors
        finally:
            browser.close()


def test_a_failed_load_leaves_no_old_figures_under_the_new_month(
    service: tuple[str, dict[str, Path]], chromium: Path
) -> None:
    """Issue 13, item 6: the report of the next month fails to load — its panels say
    so, and last month's cards and tables are gone, not shown under the new label."""
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    best = _best_month(files["published"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            _login(page, url, f"#month={best}")
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            assert page.locator("#cards .card").count() == 8
            other = next(o for o in page.locator("#month option").all_inner_texts() if o != best)
            # the server fails for that month (a real 503 from a route in the browser)
            page.route(
                re.compile(r".*/api/report\?.*month=" + other + ".*"),
                lambda route: route.fulfill(
                    status=503,
                    content_type="application/json",
                    body='{"detail": "数据暂不可用"}',
                ),
            )
            page.select_option("#month", other)
            expect(page.locator("#status")).to_contain_text(f"{other} 加载失败")
            expect(page.locator("#state-by-city")).to_contain_text("加载失败：数据暂不可用")
            assert page.locator("#cards .card").count() == 0
            assert page.locator("#by-city tbody tr").count() == 0
            assert page.locator("#at-risk tbody tr").count() == 0
            # back to a month that loads: the figures return
            page.unroute(re.compile(r".*/api/report\?.*month=" + other + ".*"))
            page.select_option("#month", best)
            expect(page.locator("#status")).to_have_text(f"{best} 已加载")
            assert page.locator("#cards .card").count() == 8
        finally:
            browser.close()


def test_a_reviewer_downloads_the_accounting_table_of_a_city(
    service: tuple[str, dict[str, Path]], chromium: Path, tmp_path: Path
) -> None:
    """The 补贴核算表 and 公示名单 buttons: a reviewer's, once a city is chosen (a
    viewer never sees them); the 公示名单 asks for its publication day first."""
    import openpyxl
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    best = _best_month(files["published"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
            _login(page, url, f"#month={best}", token="crosscheck-reviewer-dev")
            expect(page.locator("#accounting")).to_be_hidden()  # the whole province: no
            city = page.locator("#by-city tbody tr").first.locator("td").first.inner_text()
            page.select_option("#city", label=city)
            expect(page.locator("#accounting")).to_be_visible()
            with page.expect_download(timeout=120_000) as info:
                page.click("#accounting")
            target = tmp_path / "accounting.xlsx"
            info.value.save_as(target)
            assert openpyxl.load_workbook(target).sheetnames[0].startswith("补贴核算表")
            expect(page.locator("#status")).to_have_text("补贴核算表已下载")
            page.click("#notice")  # no publication day chosen yet
            expect(page.locator("#status")).to_have_text("请先选择公示发布日期")
            page.fill("#published-on", "2026-01-05")
            with page.expect_download(timeout=120_000) as info:
                page.click("#notice")
            target = tmp_path / "notice.xlsx"
            info.value.save_as(target)
            assert openpyxl.load_workbook(target).worksheets
            expect(page.locator("#status")).to_have_text("公示名单已下载")
        finally:
            browser.close()


def test_rare_characters_render_with_a_font_that_has_them(
    service: tuple[str, dict[str, Path]], chromium: Path, screenshots: Path
) -> None:
    """A name with CJK Extension A/B characters (䶮, 𠮷) is drawn with real glyphs
    from the page's font stack, not the missing-glyph box: each renders unlike a
    code point no font has (U+0378)."""
    from playwright.sync_api import sync_playwright

    url, _ = service
    shots = screenshots
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 600, "height": 300})
            page.goto(url + "/")
            page.evaluate(
                r"""() => {
                  for (const [id, text] of [["a", "䶮"], ["b", "\u{20BB7}"], ["none", "\u0378"]]) {
                    const s = document.createElement("span");
                    s.id = "glyph-" + id; s.textContent = text;
                    s.style.cssText = "font-size:48px;display:inline-block;padding:4px";
                    document.body.prepend(s);
                  }
                }"""
            )
            missing = page.locator("#glyph-none").screenshot()
            for which in ("a", "b"):
                assert page.locator(f"#glyph-{which}").screenshot() != missing, which
            page.locator("body").screenshot(path=str(shots / "rare-characters.png"))
        finally:
            browser.close()


def test_the_vendored_echarts_is_the_one_its_source_note_names() -> None:
    import hashlib

    from crosscheck.service.app import STATIC

    note = (STATIC / "vendor" / "SOURCE.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((STATIC / "vendor" / "echarts.min.js").read_bytes()).hexdigest()
    assert f"`{digest}`" in note


@SIZES
def test_the_upload_page_says_every_refusal_in_chinese_and_fits_a_phone(
    service: tuple[str, dict[str, Path]],
    chromium: Path,
    screenshots: Path,
    tmp_path: Path,
    device: str,
    viewport: ViewportSize,
) -> None:
    """The roster-upload page (/review) in Chromium, at phone width: laid out for the
    phone (viewport), a good check shows its result with Chinese severities, then a
    refused one hides that result and says why in Chinese — a malformed request
    (no roster) included, which showed "undefined：" — and the button is disabled
    while a check runs."""
    import openpyxl
    import polars as pl
    from playwright.sync_api import expect, sync_playwright

    url, files = service
    world = files["world"]
    row = pl.read_parquet(world / "operations/classes.parquet").row(0, named=True)
    roster = next((world / "rosters").glob(f"{row['class_id']}.*"))
    odd = tmp_path / "odd.csv"  # a row with a date that is none: reviewed, the date listed
    odd.write_text(
        "序号,姓名,性别,身份证号码,毕业时间\n1,张伟,男,210102199003071233,2023-02-30\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"  # no 身份证号码 column: no roster at all, refused
    bad.write_text("序号,姓名,性别\n1,张伟,男\n", encoding="utf-8")
    shots = screenshots
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(
                viewport=viewport,
                is_mobile=device == "phone",
                device_scale_factor=2 if device == "phone" else 1,
                accept_downloads=True,
            )
            _login(page, url, token="crosscheck-reviewer-dev")  # the session is a cookie
            page.goto(url + "/review")
            width = viewport["width"]
            assert page.evaluate("document.documentElement.clientWidth") == width
            expect(page.locator("#who")).to_contain_text("开发用审核账号")
            page.fill("#f-class_id", "NEW1")
            page.click("#check-class")  # no class number: said so, in Chinese
            expect(page.locator("#error")).to_have_text("请输入班级编号")
            # the filing as filed: every field the checks read (a field left out — the
            # venue, the level — would be checked as never filed)
            for field in ("region_code", "institution_id", "major", "level", "venue_id"):
                page.fill(f"#f-{field}", str(row[field] or ""))
            for field in ("months", "hours_per_day", "hours_total", "hours_practice"):
                if row.get(field) is not None:
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
            assert "（未填写）" not in findings  # the venue was sent
            assert not FULL_ID.search(page.content())
            # the roster's own 序号, and the Excel row beside it
            first = page.locator("#trainees tr").nth(1).locator("td")
            assert first.nth(0).inner_text() == "1"
            assert int(first.nth(1).inner_text()) > 1
            assert page.locator("#trainees th").nth(1).inner_text() == "行号"
            # evidence as sentences, the record behind 详情
            if page.locator("#findings details").count():
                assert '{"' not in findings.replace(
                    page.locator("#findings details").first.inner_text(), ""
                )
            with page.expect_download() as info:
                page.click("#download")
            target = tmp_path / f"review-{device}.xlsx"
            info.value.save_as(target)
            book = openpyxl.load_workbook(target)
            assert "开班审核结论" in str(book["审核结论"].cell(1, 1).value)
            assert book["审核结论"].cell(5, 1).value == "1"
            # no wider than the screen; on the phone each finding is a card
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            if device == "phone" and page.locator("#findings td[data-label]").count():
                cell = "document.querySelector('#findings td[data-label]')"
                assert page.evaluate(f"getComputedStyle({cell}).display") == "block"
            page.screenshot(path=str(shots / f"review-{device}-result.png"), full_page=True)
            expect(page.locator("#roster-problems-title")).to_be_hidden()
            page.set_input_files("#roster", str(odd))
            page.click("#check-draft")
            expect(page.locator("#roster-problems-title")).to_be_visible(timeout=30_000)
            expect(page.locator("#roster-problems")).to_contain_text("毕业时间")
            expect(page.locator("#roster-problems")).to_contain_text("“2023-02-30”不是有效日期")
            expect(page.locator("#trainees")).to_contain_text("张伟")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(shots / f"review-{device}-row-problem.png"), full_page=True)
            page.set_input_files("#roster", str(bad))
            page.click("#check-draft")
            expect(page.locator("#error")).to_contain_text("花名册有 1 个问题")
            expect(page.locator("#problems")).to_contain_text("找不到表头")
            expect(page.locator("#problems")).not_to_contain_text("file")  # 文件, in Chinese
            expect(page.locator("#result")).to_be_hidden()
            expect(page.locator("#check-draft")).to_be_enabled()
            page.screenshot(path=str(shots / f"review-{device}-refused.png"), full_page=True)
        finally:
            browser.close()

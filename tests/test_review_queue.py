"""The review queue in a real Chromium (issue 15, done when): a reviewer overrides a
CLASS_TOO_LARGE at 51 trainees with a reason, is refused an override of
PRIOR_EMPLOYMENT (not "原则上"), dismisses it on a proof instead, and the class is
approved; the next nightly run (``crosscheck check all``, which merges the web's
decisions into the warehouse) keeps the dismissal on unchanged data, and a new
contribution record reopens it. Then an admin reads the audit log. Screenshots of
both pages at desktop and phone width.

The world is a case written from POLICY.md (the casebook), loaded into a real
warehouse file, published, and served over real HTTP."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import yaml

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

from tests.conftest import run_cli
from tests.test_dashboard import ARGS, _login, chromium
from tests.test_service import FULL_ID, running

__all__ = ["chromium"]  # the fixture

CASE = """
name: a Fushun class of 51, one of them with a contribution month before the course
cites: POLICY.md CLASS_TOO_LARGE (block, 原则上 — overridable); PRIOR_EMPLOYMENT (block, not
  overridable); reading 7; 001 §5(二)
class: {policy: fushun-2023, opening: 2025-03-10}
trainees: [{copies: 50}, {label: w, pension: [{start: 2024-08}]}]
expect: {opening: [CLASS_TOO_LARGE=block, PRIOR_EMPLOYMENT=block@w]}
"""


def _world(home: Path) -> dt.date:
    """The case in ``$CROSSCHECK_HOME/crosscheck.duckdb``, checked and published where
    the service and ``check all`` look by default."""
    from crosscheck import warehouse
    from crosscheck.casebook import build, model
    from crosscheck.casebook.run import load_rows
    from crosscheck.checks import runner
    from crosscheck.reports.publish import publish_all

    built = build.build(model.Case.model_validate(yaml.safe_load(CASE)))
    home.mkdir(parents=True, exist_ok=True)
    db = home / "crosscheck.duckdb"
    con = warehouse.connect(db, create=True)
    try:
        load_rows(con, built)
        runner.run_stages(con, ["identity", "opening", "payout"], "night-1", as_of=built.as_of)
        publish_all(con, db, built.as_of)
    finally:
        con.close()
    return built.as_of


def _row(page: Any, rule: str) -> Any:
    return page.locator("#queue tbody tr", has_text=rule)


def _decide(page: Any, rule: str, kind: str, reason: str, attachments: str = "") -> str:
    from playwright.sync_api import expect

    _row(page, rule).locator(".decide-btn").click()
    expect(page.locator("#decide-panel")).to_be_visible()
    page.select_option("#kind", kind)
    page.fill("#reason", reason)
    page.fill("#attachments", attachments)
    page.click("#decide")
    message = page.locator("#decide-msg")
    expect(message).not_to_be_empty()
    return str(message.inner_text())


def _opening_verdict(page: Any, url: str, as_of: dt.date) -> str:
    """The class's opening check from the review page, as the official runs it."""
    from playwright.sync_api import expect

    page.goto(url + "/review")
    page.fill("#class-id", "CMAIN")
    page.fill("#as-of", as_of.isoformat())
    page.click("#check-class")
    expect(page.locator("#verdict")).to_contain_text("开班审核结论")
    return str(page.locator("#verdict span").get_attribute("class"))


def _nightly(home: Path, as_of: dt.date) -> None:
    done = run_cli("check", "all", "--as-of", as_of.isoformat(), home=home)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_reviewer_overrides_refuses_dismisses_and_the_night_keeps_or_reopens(
    chromium: Path, home: Path, screenshots: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    as_of = _world(home)
    db = home / "crosscheck.duckdb"
    with (
        running(home / "published.duckdb", home / "snapshot.duckdb") as url,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            _login(page, url, token="crosscheck-reviewer-dev")
            page.goto(url + "/queue?city=2104")
            expect(page.locator("#status")).to_have_text("2 个问题")
            assert not FULL_ID.search(page.content())  # the trainee's number is masked
            assert "需人工复核" not in _row(page, "CLASS_TOO_LARGE").inner_text()
            assert _opening_verdict(page, url, as_of) == "v-reject"

            # 1. the class of 51: "原则上每班最多不超过50人" — overridden, with a reason
            page.goto(url + "/queue?city=2104")
            expect(page.locator("#status")).to_have_text("2 个问题")
            said = _decide(
                page,
                "CLASS_TOO_LARGE",
                "准予例外",
                "同批报名学员已全部到位，经局务会同意扩至 51 人",
                "局务会纪要.pdf",
            )
            assert said.startswith("已记录：准予例外（reviewer-dev）")
            expect(page.locator("#status")).to_have_text("1 个问题")  # it left the queue
            # 2. prior employment is no limit "in principle": refused, and told what to do
            said = _decide(page, "PRIOR_EMPLOYMENT", "准予例外", "学员家庭困难")
            assert "不能准予例外" in said
            assert page.locator("#decide-msg").get_attribute("class") == "error"
            assert "不是“原则上”的限制" in page.locator("#decide-evidence").inner_text()
            expect(page.locator("#status")).to_have_text("1 个问题")  # still waiting
            # 3. … so it is dismissed on the proof seen
            said = _decide(
                page,
                "PRIOR_EMPLOYMENT",
                "驳回",
                "单位误报，已见社保中心更正证明",
                "社保更正证明.jpg",
            )
            assert said.startswith("已记录：驳回（reviewer-dev）"), said
            expect(page.locator("#empty")).to_be_visible()
            assert _opening_verdict(page, url, as_of) == "v-approve"
            shown = page.locator("#result").inner_text()
            assert "经审核准予例外" in shown

            # 4. the next night, nothing changed: merged into the warehouse, still dismissed
            _nightly(home, as_of)
            con = duckdb.connect(str(db), read_only=True)
            kinds = con.execute("SELECT kind FROM decisions ORDER BY decided_at").fetchall()
            con.close()
            assert kinds == [("override",), ("dismiss",)]
            page.goto(url + "/queue?city=2104")
            expect(page.locator("#status")).to_have_text("0 个问题")
            page.check("#f-all")
            page.click("#refresh")
            expect(page.locator("#status")).to_have_text("2 个问题")
            assert "已驳回" in _row(page, "PRIOR_EMPLOYMENT").inner_text()
            assert "已准予例外" in _row(page, "CLASS_TOO_LARGE").inner_text()
            assert _opening_verdict(page, url, as_of) == "v-approve"

            # 5. a new contribution record: the evidence is not what was dismissed
            con = duckdb.connect(str(db))
            (person,) = con.execute(
                "SELECT id_number FROM roster_entries e JOIN pension_contributions p "
                "USING (id_number)"
            ).fetchall()[0]
            con.execute(
                """INSERT INTO pension_contributions (record_key, id_number, name, scheme,
                       city_code, month_from, month_to, _source, id_block)
                   VALUES ('PE-NEW', ?, NULL, '城镇企业职工基本养老保险', '2104',
                           DATE '2024-11-01', DATE '2024-12-01', 'case', ?)""",
                [person, person[:14]],
            )
            con.close()
            _nightly(home, as_of)
            page.goto(url + "/queue?city=2104")
            expect(page.locator("#status")).to_have_text("1 个问题")
            reopened = _row(page, "PRIOR_EMPLOYMENT").inner_text()
            assert "证据已变化，重新待审核" in reopened
            _row(page, "PRIOR_EMPLOYMENT").locator(".decide-btn").click()
            expect(page.locator("#history")).to_contain_text("此后证据已变化")
            page.screenshot(path=str(screenshots / "queue-desktop.png"), full_page=True)
            assert _opening_verdict(page, url, as_of) == "v-reject"
            assert not errors
        finally:
            browser.close()

        # the audit log: an admin's page (once an account exists, no dev secret works)
        made = run_cli(
            "users", "add", "province-admin", "--role", "admin", "--scope", "21", home=home
        )
        assert made.returncode == 0, made.stderr
        secret = made.stdout.strip().splitlines()[-1]
        sizes: list[tuple[str, ViewportSize]] = [
            ("desktop", {"width": 1440, "height": 900}),
            ("phone", {"width": 390, "height": 844}),
        ]
        for device, viewport in sizes:
            phone = device == "phone"
            browser = p.chromium.launch(executable_path=str(chromium), args=ARGS)
            try:
                page = browser.new_page(
                    viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN"
                )
                page.goto(url + "/")
                page.fill("#token", "crosscheck-reviewer-dev")
                page.click("#login")
                expect(page.locator("#login-error")).to_contain_text("账号或密钥不正确")
                if phone:  # the login form fits the phone
                    assert page.evaluate("document.documentElement.scrollWidth") <= 390
                _login(page, url, token=secret)
                page.goto(url + "/audit")
                expect(page.locator("#log tbody tr").first).to_be_visible()
                text = page.locator("#log").inner_text()
                assert "reviewer-dev" in text
                assert re.search("审核结论\\s+CMAIN CLASS_TOO_LARGE", text), text
                assert re.search("审核结论\\s+CMAIN PRIOR_EMPLOYMENT", text)
                assert "开班即时核查" in text
                assert "登录失败" in text
                assert not FULL_ID.search(page.content())
                if phone:
                    assert page.evaluate("document.documentElement.scrollWidth") <= 390
                page.screenshot(path=str(screenshots / f"audit-{device}.png"), full_page=True)
                page.goto(url + "/queue?city=2104")
                expect(page.locator("#status")).to_have_text("1 个问题")
                if phone:
                    assert page.evaluate("document.documentElement.scrollWidth") <= 390
                    page.screenshot(path=str(screenshots / "queue-phone.png"), full_page=True)
            finally:
                browser.close()

"""The web service: the API, the dashboard (中文), the roster-upload page, the
queue of findings waiting for a decision and the audit log.

Every ``/api`` endpoint needs a signed-in user: the login page's session cookie, or
``Authorization: Bearer <secret>`` (``crosscheck.accounts``). A user sees only their
scope (a province, a city or a county): lists are narrowed to it, and a class, a
city or a download outside it is refused with 403. The viewer role reads the
published snapshot (masked ID numbers only); the reviewer may also run on-demand
checks, draw up the 补贴核算表 and 公示, record appeals and decide on findings; the
second reviewer also decides on findings under appeal; the admin also reads the
audit log. Decisions and appeals made here wait in the accounts store's inbox for
the next run to merge into the warehouse, and count at once in what the service
computes. Pages are static HTML with their own JavaScript (no CDN: the machines
are offline).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Annotated, Any

import duckdb
import polars as pl
from fastapi import (
    Depends,
    FastAPI,
    File,
    Form,
    Header,
    HTTPException,
    Query,
    Request,
    UploadFile,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException

from crosscheck import accounts, idnumber, labels
from crosscheck.errors import CrosscheckError, month_text
from crosscheck.evidence import describe, region_name
from crosscheck.policy.loader import label as policy_label
from crosscheck.reports import monthly, publish
from crosscheck.rules import SEVERITY_LABELS
from crosscheck.service.auth import COOKIE, Authenticator, Principal
from crosscheck.service.ondemand import OnDemand

STATIC = Path(__file__).resolve().parent / "static"
STALE_AFTER = dt.timedelta(days=1)  # a registry not pulled for a day: the banner says so


def _readable(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings as the pages show them: severity and policy by name, evidence as a
    sentence (the JSON stays beside it, behind the pages' 详情)."""
    for f in findings:
        f["severity_label"] = SEVERITY_LABELS.get(f["severity"], f["severity"])
        f["policy_label"] = policy_label(f.get("policy_id"))
        f["evidence_text"] = describe(f["rule_code"], f.get("evidence"))
    return findings


def _with_policy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["policy_label"] = policy_label(r.get("policy_id"))
    return rows


def _safe(text: str) -> str:
    """A piece of a file name: letters, digits, CJK, - and _ only."""
    return re.sub(r"[^\w\-]", "_", text)[:40]


def _workbook(name: str, write: Any) -> FileResponse:
    """A workbook written by ``write(path)`` in a private temporary folder, sent as a
    download and removed once sent."""
    folder = Path(tempfile.mkdtemp(prefix="crosscheck-download-"))
    path = folder / name
    try:
        write(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _freshness(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> dict[str, Any]:
    """The last runs, each source's last good pull, and what the banner must say:
    a registry older than a day, or a night that did not finish."""
    runs = con.execute(
        "SELECT run_id, kind, started_at, finished_at, status, summary FROM runs "
        "ORDER BY started_at DESC LIMIT 10"
    ).fetchall()
    alerts: list[str] = []
    nights = [r for r in runs if r[1] == "nightly"]
    if nights and nights[0][4] in ("partial", "failed"):
        summary = json.loads(nights[0][5] or "{}")
        stale = summary.get("stale_sources") or {}
        names = "、".join(labels.source(n) for n in stale)
        alerts.append(
            f"最近一次夜间核查（{str(nights[0][2])[:16]}）"
            + ("失败" if nights[0][4] == "failed" else "未全部完成")
            + (f"：未拉取 {names}" if names else "")
        )
    sources = []
    if "sources" in _tables(con):
        for name, ok_at, tried_at, status, loaded, rejected in con.execute(
            "SELECT source, last_success_at, last_attempt_at, last_status, rows_loaded, "
            "rows_rejected FROM sources"
        ).fetchall():
            stale = name in labels.REGISTRIES and (ok_at is None or now - ok_at > STALE_AFTER)
            sources.append(
                {
                    "source": name,
                    "label": labels.source(name),
                    "registry": name in labels.REGISTRIES,
                    "last_success_at": str(ok_at)[:16] if ok_at else None,
                    "last_attempt_at": str(tried_at)[:16] if tried_at else None,
                    "last_status": status,
                    "rows_loaded": loaded,
                    "rows_rejected": rejected,
                    "stale": stale,
                }
            )
        sources.sort(key=lambda s: (not s["registry"], s["label"]))
        old = [s["label"] for s in sources if s["stale"]]
        if old:
            alerts.append(f"{'、'.join(old)} 的数据已超过一天未更新")
    return {
        "runs": [
            {
                "run_id": r[0],
                "kind": r[1],
                "kind_label": labels.RUN_KINDS.get(r[1], r[1]),
                "started_at": str(r[2])[:19],
                "finished_at": str(r[3])[:19] if r[3] else None,
                "status": r[4],
                "status_label": labels.RUN_STATUS.get(r[4], r[4]),
            }
            for r in runs
        ],
        "sources": sources,
        "alerts": alerts,
    }


def _plain(value: Any) -> Any:
    """Dates and times as text, as JSON carries them."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.write_json()) if frame.height else []


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _principal(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    auth: Authenticator = request.app.state.auth
    found = auth.request(request, authorization)
    if found is None:
        raise HTTPException(
            401, "未登录、登录已过期或账号已停用", headers={"WWW-Authenticate": "Bearer"}
        )
    # a signed-in browser's cookie goes with any request, a forged form's too: a
    # change needs the pages' own header as well (a form cannot set one)
    if (
        not authorization
        and request.method not in SAFE_METHODS
        and request.headers.get("x-crosscheck") != "1"
    ):
        raise HTTPException(403, "请求缺少页面标识（X-Crosscheck），已拒绝")
    return found


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Problem(BaseModel):
    """Why a request was refused (Chinese)."""

    detail: str | dict[str, Any] | list[Any]


def _field_problem(error: Any) -> str:
    kind = str(error.get("type", ""))
    return {
        "missing": "缺少此项",
        "int_parsing": "应为整数",
        "string_type": "应为文字",
        "value_error": "取值无效",
    }.get(kind, "取值无效")


MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # a class's roster is a few hundred kB at most
MAX_UPLOAD_ROWS = 1000  # a class has at most 50–100 trainees
UPLOAD_TOO_LARGE = (
    f"上传内容超过 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB 上限：一个班的花名册不应这么大"
)


def _upload_name(filename: str | None) -> str:
    """A safe local name for an uploaded roster: its own base name with anything but
    letters, digits, CJK, ``-``, ``_`` and ``.`` replaced; .xlsx or .csv only."""
    base = Path(filename or "").name
    suffix = Path(base).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise HTTPException(422, "花名册应为 .xlsx 或 .csv 文件")
    stem = re.sub(r"[^\w\-一-鿿]", "_", Path(base).stem)[:80].lstrip(".") or "花名册"
    return stem + suffix


class LimitBody:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413 — by its
    Content-Length before anything is read, and by counting when it is chunked."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Any) -> None:
        body = json.dumps({"detail": UPLOAD_TOO_LARGE}, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _reviewer(who: Annotated[Principal, Depends(_principal)]) -> Principal:
    if not who.may("reviewer"):
        raise HTTPException(403, "只读账号不能发起核查或作出审核结论")
    return who


def _admin(who: Annotated[Principal, Depends(_principal)]) -> Principal:
    if not who.may("admin"):
        raise HTTPException(403, "只有管理员可以查看审计日志")
    return who


Viewer = Annotated[Principal, Depends(_principal)]
Format = Annotated[str, Query(pattern="^(json|xlsx)$", description="json 或 xlsx")]
Reviewer = Annotated[Principal, Depends(_reviewer)]
Admin = Annotated[Principal, Depends(_admin)]
OUT_OF_SCOPE = "无权查看该地区的数据（超出本账号的范围）"


def _within(who: Principal, region: str | None) -> str | None:
    """The narrower of a requested region prefix and the user's scope; 403 when the
    two do not overlap (a Fushun user asking for Shenyang)."""
    region = region or None
    if region is None:
        return who.scope or None
    if region.startswith(who.scope):
        return region
    if who.scope.startswith(region):
        return who.scope
    raise HTTPException(403, OUT_OF_SCOPE)


class Credentials(BaseModel):
    """The login form: the account (may be left empty) and its secret."""

    account: str = ""
    secret: str


class DecisionIn(BaseModel):
    """A decision on a finding: 确认 / 驳回 / 准予例外, the reason and the documents seen."""

    kind: str
    reason: str = ""
    attachments: list[str] = []


class AppealIn(BaseModel):
    """An appeal received: from the institution (机构) or the trainee (学员)."""

    party: str
    grounds: str
    attachments: list[str] = []


def create_app(
    published: Path | None = None,
    snapshot: Path | None = None,
    tokens: dict[str, Principal] | None = None,
    *,
    session_seconds: float | None = None,
) -> FastAPI:
    """The service on the published files; users from the accounts store (or, for
    tests, a fixed table of secrets)."""
    published = published or publish.default_path()
    ondemand = OnDemand(snapshot or publish.snapshot_path())
    auth = Authenticator(tokens)
    session_hours = (session_seconds or accounts.SESSION_HOURS * 3600) / 3600

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ondemand.close()

    app = FastAPI(
        lifespan=lifespan,
        title="crosscheck",
        description="补贴性职业培训资格核查：看板接口与即时核查。",
        docs_url=None,
        redoc_url=None,
        # one shape for every refusal: {"detail": 说明} (a text, or a message with the
        # roster's problems, or the request's invalid fields) — declared so, in place
        # of FastAPI's default 422 schema that only its own validation errors fit
        responses={
            401: {"model": Problem, "description": "未登录、登录已过期或账号已停用"},
            403: {"model": Problem, "description": "角色无权执行，或超出账号的地区范围"},
            404: {"model": Problem, "description": "没有该对象"},
            413: {"model": Problem, "description": "上传内容过大"},
            422: {"model": Problem, "description": "输入有误"},
            503: {"model": Problem, "description": "数据暂不可用"},
        },
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI echoes each invalid field's input: for an upload that is the whole
        # roster, full ID numbers included — never sent back (README: no endpoint
        # returns a full ID)
        fields = [
            {"loc": list(e.get("loc", ())), "msg": _field_problem(e), "type": e.get("type")}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": fields})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # the framework's own refusals (an unknown address, a wrong method) in Chinese
        own = {"Not Found": "没有该地址", "Method Not Allowed": "不支持该请求方法"}
        detail = own.get(exc.detail, exc.detail) if isinstance(exc.detail, str) else exc.detail
        return JSONResponse(
            {"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    app.state.auth = auth
    app.state.pseudonym = lambda: publish.pseudonym_key(published.parent)
    app.state.ondemand = ondemand  # closed by the lifespan; by hand where none runs
    app.add_middleware(LimitBody, limit=MAX_UPLOAD_BYTES + 64 * 1024)  # + the form's other fields

    @contextmanager
    def snapshot_db() -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            con = publish.open_published(published)
        except FileNotFoundError as exc:
            raise HTTPException(503, "尚未发布数据：先运行一次核查") from exc
        try:
            yield con
        finally:
            con.close()

    def filters(
        month: str | None,
        city: str | None,
        policy: str | None,
        con: duckdb.DuckDBPyConnection,
        province: str | None = None,
        who: Principal | None = None,
    ) -> monthly.Filters:
        if month is None:
            found = monthly.months(con)
            if not found:
                raise HTTPException(404, "没有任何班级数据")
            month = found[0]
        try:
            month_text(month)
        except CrosscheckError as exc:
            raise HTTPException(422, str(exc)) from exc
        if province and not re.fullmatch(r"[0-9]{2}", province):
            raise HTTPException(422, f"省份代码 “{province[:20]}” 应为 2 位数字")
        if city and not re.fullmatch(r"[0-9]{4}", city):
            raise HTTPException(422, f"城市代码 “{city[:20]}” 应为 4 位数字")
        scope = None
        if who is not None:
            _within(who, city or province)  # 403 outside the user's scope
            scope = who.scope or None
        return monthly.Filters(month, city or None, policy or None, province or None, scope)

    def region_of(class_id: str) -> str | None:
        """A published class's region code (None: no such class)."""
        with snapshot_db() as con:
            rows = con.execute(
                "SELECT region_code FROM classes WHERE class_id = $c", {"c": class_id}
            ).fetchall()
        return rows[0][0] if rows else None

    def in_scope(who: Principal, class_id: str) -> None:
        """404 for a class that is not published, 403 for one outside the scope."""
        region = region_of(class_id)
        if region is None:
            raise HTTPException(404, f"没有班级 {class_id}")
        if not who.sees(region):
            raise HTTPException(403, OUT_OF_SCOPE)

    def download(who: Principal, what: str, name: str, response: Response) -> Response:
        accounts.audit(who.name, "download", name, what)
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> str:
        return (STATIC / "dashboard.html").read_text(encoding="utf-8")

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def review_page() -> str:
        return (STATIC / "review.html").read_text(encoding="utf-8")

    @app.get("/login", include_in_schema=False)
    def login_page(next: str | None = None) -> RedirectResponse:
        """The login form is the dashboard's own (shown to whoever is not signed in)."""
        target = next if next in ("/queue", "/review", "/audit") else None
        return RedirectResponse("/" + (f"?next={target}" if target else ""), status_code=303)

    @app.get("/queue", response_class=HTMLResponse, include_in_schema=False)
    def queue_page() -> str:
        return (STATIC / "queue.html").read_text(encoding="utf-8")

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page() -> str:
        return (STATIC / "audit.html").read_text(encoding="utf-8")

    @app.post("/api/login")
    def login(body: Credentials, request: Request) -> JSONResponse:
        """Trade an account's secret for a session (a cookie that expires)."""
        who = auth.secret(body.secret)
        account = body.account.strip()
        if who is None or (account and account != who.name):
            accounts.audit(account or "（未填账号）", "login-failed", None, None)
            raise HTTPException(401, "账号或密钥不正确，或账号已停用")
        token = auth.login(who, session_hours)
        accounts.audit(who.name, "login", None, None)
        answer = JSONResponse(me(who))
        answer.set_cookie(
            COOKIE,
            token,
            max_age=int(session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return answer

    @app.post("/api/logout")
    def logout(request: Request) -> JSONResponse:
        token = request.cookies.get(COOKIE)
        if token:
            who = auth.request(request, None)
            auth.logout(token)
            if who is not None:
                accounts.audit(who.name, "logout", None, None)
        answer = JSONResponse({"detail": "已退出"})
        answer.delete_cookie(COOKIE)
        return answer

    @app.get("/api/me")
    def me(who: Viewer) -> dict[str, Any]:
        return {
            "user": who.name,
            "display": who.label,
            "role": who.role,
            "role_label": accounts.ROLE_LABELS[who.role],
            "scope": who.scope,
            "scope_label": accounts.scope_label(who.scope),
            "may_review": who.may("reviewer"),
            "may_second": who.may("second_reviewer"),
            "may_audit": who.may("admin"),
            "dev": auth.dev(),
        }

    @app.get("/api/meta")
    def meta(who: Viewer) -> dict[str, Any]:
        from crosscheck import regions

        with snapshot_db() as con:
            row = con.execute("SELECT published_at, as_of FROM meta").fetchall()[0]
            cities = con.execute(
                "SELECT DISTINCT city_code, city_name FROM classes "
                "WHERE starts_with(region_code, $s) ORDER BY 1",
                {"s": who.scope},
            ).fetchall()
            policies = con.execute(
                "SELECT policy_id, list(DISTINCT substr(city_code, 1, 2) ORDER BY 1) "
                "FROM classes WHERE starts_with(region_code, $s) GROUP BY 1 ORDER BY 1",
                {"s": who.scope},
            ).fetchall()
            provinces = sorted({c[:2] for c, _ in cities})
            return {
                **me(who),
                "published_at": str(row[0]),
                "as_of": str(row[1]),
                "months": monthly.months(con),
                "provinces": [
                    {"code": p, "name": regions.province_name(p) or p} for p in provinces
                ],
                "cities": [{"code": c, "name": n, "province": c[:2]} for c, n in cities],
                "policies": [
                    {"id": p, "label": policy_label(p), "provinces": list(where)}
                    for p, where in policies
                ],
                **_freshness(con, dt.datetime.now()),
            }

    @app.get("/api/report")
    def report(
        who: Viewer,
        month: str | None = None,
        city: str | None = None,
        policy: str | None = None,
        province: str | None = None,
    ) -> dict[str, Any]:
        with snapshot_db() as con:
            f = filters(month, city, policy, con, province, who)
            by_city = monthly.summary(con, f, "city_name")
            return {
                "filters": f.__dict__,
                "by_city": _records(
                    by_city.join(
                        pl.from_arrow(
                            con.sql(
                                "SELECT DISTINCT city_name AS key, city_code FROM classes"
                            ).to_arrow_table()
                        ),  # type: ignore[arg-type]
                        on="key",
                        how="left",
                    )
                ),
                "by_rule": [
                    r | {"severity_label": SEVERITY_LABELS.get(r["severity"], r["severity"])}
                    for r in _records(monthly.by_rule(con, f))
                ],
                "trend": _records(monthly.trend(con, f)),
                "at_risk": _with_policy(_records(monthly.at_risk(con, f))),
                "totals": {
                    c: int(by_city[c].sum()) if by_city.height else 0
                    for c in by_city.columns
                    if c != "key"
                },
            }

    @app.get("/api/classes")
    def class_list(
        who: Viewer,
        month: str | None = None,
        city: str | None = None,
        policy: str | None = None,
        province: str | None = None,
        rule: str | None = None,
    ) -> list[dict[str, Any]]:
        """The classes opened or ended in the month under the filters; with ``rule``,
        those of them with an open finding of that rule (a bar of the rule chart)."""
        with snapshot_db() as con:
            f = filters(month, city, policy, con, province, who)
            where, params = f.where("c")
            having = ""
            if rule:
                having = "AND c.class_id IN (SELECT class_id FROM findings WHERE rule_code = $rule)"
                params["rule"] = rule
            frame = pl.from_arrow(
                con.sql(
                    "SELECT c.class_id, c.city_name, c.institution, c.major, c.policy_id, "
                    "c.planned_start, c.planned_end, c.trainees, c.findings, c.blocks, "
                    "c.excludes, c.reviews, c.risk, c.in_accounting, c.proposed_fen, "
                    "c.approved_fen, c.withheld_fen FROM classes c "
                    f"WHERE (c.month_opened = $month OR c.month_ended = $month) {where} {having} "
                    "ORDER BY c.risk DESC, c.class_id",
                    params=params | {"month": f.month},
                ).to_arrow_table()
            )
            assert isinstance(frame, pl.DataFrame)
            return _with_policy(_records(frame))

    @app.get("/api/cities/{city}/classes")
    def city_classes(who: Viewer, city: str, month: str | None = None) -> list[dict[str, Any]]:
        """One city's classes of the month (the class list with its city filter)."""
        return class_list(who, month=month, city=city)

    @app.get("/api/classes/{class_id}")
    def class_detail(who: Viewer, class_id: str) -> dict[str, Any]:
        in_scope(who, class_id)
        with snapshot_db() as con:
            info = pl.from_arrow(
                con.sql(
                    "SELECT * FROM classes WHERE class_id = $c", params={"c": class_id}
                ).to_arrow_table()
            )
            assert isinstance(info, pl.DataFrame)
            if not info.height:
                raise HTTPException(404, f"没有班级 {class_id}")
            # a file published before the trainee page had no pseudonyms
            columns = {r[0] for r in con.execute("DESCRIBE findings").fetchall()}
            person = "person_key" if "person_key" in columns else "NULL AS person_key"
            found = pl.from_arrow(
                con.sql(
                    f"SELECT stage, id_masked, {person}, name, rule_code, title, severity, "
                    "policy_id, clause, match_level, evidence, first_seen_at FROM findings "
                    "WHERE class_id = $c ORDER BY id_masked NULLS FIRST, rule_code",
                    params={"c": class_id},
                ).to_arrow_table()
            )
            assert isinstance(found, pl.DataFrame)
            return {
                "class": _with_policy(_records(info))[0],
                "findings": _readable(_records(found)),
            }

    @app.get(
        "/api/classes/{class_id}/findings.xlsx",
        response_class=FileResponse,
        responses={200: {"content": {XLSX: {}}, "description": "班级核查问题清单 .xlsx"}},
    )
    def class_findings_xlsx(who: Viewer, class_id: str) -> Response:
        from crosscheck.reports import findings as findings_report

        detail = class_detail(who, class_id)
        name = f"核查问题清单-{_safe(class_id)}.xlsx"
        return download(
            who,
            "班级核查问题清单",
            name,
            _workbook(name, lambda path: findings_report.write_class(path, detail)),
        )

    @app.get("/api/trainees")
    def trainee_search(
        request: Request, who: Viewer, q: Annotated[str, Query(max_length=40)] = ""
    ) -> list[dict[str, Any]]:
        """Find people by full ID number (hashed with the publisher's key: the number
        itself is never stored or returned) or by name; at most 50."""
        text = q.strip()
        if not text:
            raise HTTPException(422, "请输入身份证号码或姓名")
        number = idnumber.stored(text)
        with snapshot_db() as con:
            if re.fullmatch(r"[0-9]{17}[0-9X]", number):
                key = publish.person_key(number, request.app.state.pseudonym())
                clause, params = "person_key = $key", {"key": key}
            else:
                clause, params = "name LIKE $name", {"name": f"%{text}%"}
            frame = pl.from_arrow(
                con.sql(
                    "SELECT person_key, any_value(id_masked) AS id_masked, "
                    "any_value(name) AS name, count(DISTINCT class_id) AS classes "
                    f"FROM trainees WHERE {clause} AND class_id IN (SELECT class_id FROM "
                    "classes WHERE starts_with(region_code, $scope)) GROUP BY person_key "
                    "ORDER BY name, id_masked LIMIT 50",
                    params=params | {"scope": who.scope},
                ).to_arrow_table()
            )
            assert isinstance(frame, pl.DataFrame)
            return _records(frame)

    @app.get("/api/trainees/{person_key}")
    def trainee(who: Viewer, person_key: str) -> dict[str, Any]:
        """One person: every class they were on, every open finding, and the records
        of other cities and provinces those findings cite."""
        if not re.fullmatch(r"[a-p]{20}", person_key):
            raise HTTPException(404, "没有该学员")
        with snapshot_db() as con:
            classes = pl.from_arrow(
                con.sql(
                    "SELECT c.class_id, c.city_name, c.institution, c.major, c.policy_id, "
                    "c.planned_start, c.planned_end, c.status, t.seq, t.name, t.id_masked "
                    "FROM trainees t JOIN classes c USING (class_id) "
                    "WHERE t.person_key = $k AND starts_with(c.region_code, $s) "
                    "ORDER BY c.planned_start, c.class_id",
                    params={"k": person_key, "s": who.scope},
                ).to_arrow_table()
            )
            found = pl.from_arrow(
                con.sql(
                    "SELECT class_id, stage, rule_code, title, severity, policy_id, clause, "
                    "match_level, evidence, first_seen_at FROM findings "
                    "WHERE person_key = $k AND class_id IN (SELECT class_id FROM classes "
                    "WHERE starts_with(region_code, $s)) ORDER BY class_id, rule_code",
                    params={"k": person_key, "s": who.scope},
                ).to_arrow_table()
            )
        assert isinstance(classes, pl.DataFrame)
        assert isinstance(found, pl.DataFrame)
        if not classes.height:
            raise HTTPException(404, "没有该学员")
        rows = _with_policy(_records(classes))
        findings = _readable(_records(found))
        elsewhere = []
        for f in findings:
            if f["rule_code"] not in monthly.CROSS_REGION:
                continue
            for record in json.loads(f.get("evidence") or "{}").get("records") or []:
                elsewhere.append(
                    {
                        "class_id": f["class_id"],
                        "rule_code": f["rule_code"],
                        "title": f["title"],
                        # another region's class is named only within the scope
                        "key": record.get("key") if who.sees(record.get("region")) else None,
                        "region": record.get("region"),
                        "region_name": region_name(record.get("region")),
                        "start": record.get("start"),
                        "end": record.get("end"),
                        "subsidised": record.get("subsidised"),
                        "paid_on": record.get("paid_on"),
                    }
                )
        return {
            "person_key": person_key,
            "id_masked": rows[0]["id_masked"],
            "name": rows[0]["name"],
            "classes": rows,
            "findings": findings,
            "elsewhere": elsewhere,
        }

    @app.get(
        "/api/report.xlsx",
        response_class=FileResponse,
        responses={200: {"content": {XLSX: {}}, "description": "月度报告 .xlsx"}},
    )
    def report_xlsx(
        who: Viewer,
        month: str | None = None,
        city: str | None = None,
        policy: str | None = None,
        province: str | None = None,
    ) -> Response:
        with snapshot_db() as con:
            f = filters(month, city, policy, con, province, who)
            name = f"月度报告-{f.month}.xlsx"
            return download(
                who,
                "月度报告",
                name,
                _workbook(name, lambda path: monthly.write_xlsx(con, f, path)),
            )

    def _city_month(month: str, city: str, who: Principal) -> dict[str, Any]:
        """The accounting of one city's classes that ended in the month, re-run on the
        snapshot as of the published day: table, people, the day, the city's name and
        the last day a class ended."""
        with snapshot_db() as con:
            f = filters(month, city, None, con, None, who)
            rows = con.execute(
                "SELECT class_id, city_name, planned_end FROM classes WHERE city_code = $c "
                "AND month_ended = $m AND in_accounting AND starts_with(region_code, $s) "
                "ORDER BY class_id",
                {"c": f.city, "m": f.month, "s": who.scope},
            ).fetchall()
            day = con.execute("SELECT max(as_of) FROM meta").fetchall()[0][0]
        if not rows:
            raise HTTPException(404, f"{f.month} 该城市没有结课待核算的班级")
        try:
            table, people = ondemand.accounting([r[0] for r in rows], day, who.name)
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc
        return {
            "table": table,
            "people": people,
            "day": day,
            "city": rows[0][1] or f.city,
            "ended": max(r[2] for r in rows),
            "label": f"{rows[0][1] or f.city}-{f.month}",
        }

    @app.get(
        "/api/accounting.xlsx",
        response_class=FileResponse,
        responses={200: {"content": {XLSX: {}}, "description": "补贴核算表 .xlsx（附件8格式）"}},
    )
    def accounting_xlsx(who: Reviewer, month: str, city: str) -> Response:
        """The 补贴核算表 of one city's classes that ended in the month (a reviewer's
        draft for the batch: every stage re-run on the snapshot as of the published
        day; the payout flow is what records a batch). 填报日期: today."""
        from crosscheck import office
        from crosscheck.reports import accounting as sheet

        done = _city_month(month, city, who)
        unit = office.for_region(f"{city}00").unit
        name = f"补贴核算表-{_safe(done['label'])}.xlsx"
        return download(
            who,
            "补贴核算表",
            name,
            _workbook(
                name,
                lambda path: sheet.write(
                    path,
                    done["table"],
                    unit=unit,
                    issued_on=dt.date.today(),
                    batch_id=done["label"],
                ),
            ),
        )

    @app.get(
        "/api/notice.xlsx",
        response_class=FileResponse,
        responses={200: {"content": {XLSX: {}}, "description": "公示名单 .xlsx"}},
    )
    def notice_xlsx(
        who: Reviewer,
        month: str,
        city: str,
        published_on: Annotated[str, Query(description="公示发布日期 YYYY-MM-DD")],
    ) -> Response:
        """The 公示名单 of the same classes, published on the day the reviewer gives
        (the period ends on the policy's last working day; withheld classes are not
        published). A day before the classes ended, or in a year whose working days
        are not known, is refused saying so."""
        from crosscheck import office
        from crosscheck.reports import notice

        try:
            day = dt.date.fromisoformat(published_on)
        except ValueError as exc:
            raise HTTPException(
                422, f"公示发布日期 “{published_on[:20]}” 应为 YYYY-MM-DD 格式的日期"
            ) from exc
        done = _city_month(month, city, who)
        if day <= done["ended"]:
            raise HTTPException(
                422, f"公示发布日期 {day} 应在这些班级结课（最晚 {done['ended']}）之后"
            )
        ids = done["table"]["class_id"].to_list()
        try:
            result = notice.build(
                done["label"], dict.fromkeys(ids, day), done["table"], done["people"]
            )
        except CrosscheckError as exc:  # e.g. a year whose holidays are not yet known
            raise HTTPException(422, str(exc)) from exc
        where = office.for_region(f"{city}00")
        name = f"公示名单-{_safe(done['label'])}.xlsx"
        return download(
            who,
            "公示名单",
            name,
            _workbook(name, lambda path: notice.write(path, result, office=where)),
        )

    def _as_of(as_of: str | None) -> dt.date:
        try:
            return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError as exc:
            raise HTTPException(422, f"核查日期 “{as_of}” 格式应为 YYYY-MM-DD") from exc

    def _answer(result: Any, fmt: str) -> Any:
        """The review as JSON, or (``format=xlsx``) as the 审核结论 workbook."""
        if fmt != "xlsx":
            return result.to_json()
        from crosscheck.reports.findings import write_review

        return _workbook(
            f"开班审核-{_safe(result.class_id)}.xlsx", lambda path: write_review(path, result)
        )

    @app.post("/api/classes/{class_id}/opening-check", response_model=None)
    def opening_check(
        who: Reviewer,
        class_id: str,
        as_of: Annotated[str | None, Query()] = None,
        format: Format = "json",
    ) -> Any:
        in_scope(who, class_id)
        try:
            result = ondemand.opening(class_id, _as_of(as_of), who.name)
        except KeyError as exc:
            raise HTTPException(404, f"没有班级 {class_id}") from exc
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc
        return _answer(result, format)

    @app.post("/api/opening-check", response_model=None)
    async def draft_check(
        who: Reviewer,
        roster: Annotated[UploadFile, File(description="学员花名册 .xlsx 或 .csv")],
        filing: Annotated[str, Form(description="开班备案信息（JSON）")],
        as_of: Annotated[str | None, Form()] = None,
        policy: Annotated[str | None, Form()] = None,
        format: Format = "json",
    ) -> Any:
        from crosscheck.checks import draft
        from crosscheck.connectors.roster import LABELS, read

        def labels_of(field: str) -> str:
            return LABELS.get(field, "文件" if field == "file" else field)

        day = _as_of(as_of)
        name = _upload_name(roster.filename)
        data = await roster.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, UPLOAD_TOO_LARGE)
        # a private folder (0700) removed when the check is done: the roster holds
        # full ID numbers, names and phones, and nothing of it is kept (issue 12, item 7)
        with tempfile.TemporaryDirectory(prefix="crosscheck-upload-") as tmp:
            folder = Path(tmp)
            (folder / name).write_bytes(data)
            (folder / "filing.json").write_text(filing, encoding="utf-8")
            try:
                parsed = draft.read_filing(folder / "filing.json", policy_id=policy or None)
            except CrosscheckError as exc:
                raise HTTPException(422, str(exc).replace("filing.json", "开班备案信息")) from exc
            if not who.sees(str(parsed.get("region_code") or "")):
                raise HTTPException(403, "该班级的地区超出本账号的范围")
            sheet = read(folder / name, keep_flagged=True)
        fatal = sheet.fatal
        if fatal:
            message = f"花名册有 {len(fatal)} 个问题，未核查"
            rows = [
                {"row": p.row, "field": labels_of(p.field), "message": p.message} for p in fatal
            ]
            raise HTTPException(
                422, {"message": message, "problems": [str(p) for p in fatal], "rows": rows}
            )
        if len(sheet.entries) > MAX_UPLOAD_ROWS:
            too_many = f"花名册有 {len(sheet.entries)} 名学员，超过上限 {MAX_UPLOAD_ROWS}"
            raise HTTPException(413, too_many + "：请按班级分别上传")
        try:
            result = ondemand.draft(parsed, sheet.entries, day, who.name)
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc
        # the roster's own 序号 beside the Excel row the trainee is on
        numbers = {e["seq"]: e.get("roster_no") for e in sheet.entries}
        for t in result.trainees:
            t.roster_no = numbers.get(t.seq)
        result.roster_problems = sheet.row_problem_rows()
        return _answer(result, format)

    # ------------------------------------------------ decisions, appeals, the queue

    def finding_in_scope(con: duckdb.DuckDBPyConnection, who: Principal, key: str) -> str:
        """The finding's full id; 404 when unknown, 403 outside the user's scope."""
        from crosscheck import decisions

        try:
            finding = decisions.find(con, key)
        except decisions.DecisionError as exc:
            raise HTTPException(404, str(exc)) from exc
        region = con.execute(
            "SELECT region_code FROM classes WHERE class_id = ?", [finding.class_id]
        ).fetchall()
        if not region or not who.sees(region[0][0]):
            raise HTTPException(403, OUT_OF_SCOPE)
        return finding.finding_id

    def queue_rows(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> Any:
        from crosscheck.decisions import Finding, overridable
        from crosscheck.rules import RULES

        names = dict(
            con.execute(
                "SELECT institution_id, name FROM institutions WHERE list_contains($i, "
                "institution_id)",
                {"i": sorted({r["institution_id"] for r in rows if r["institution_id"]})},
            ).fetchall()
        )
        for r in rows:
            evidence = json.dumps(r["evidence"], ensure_ascii=False)
            r["title"] = RULES[r["rule_code"]].title if r["rule_code"] in RULES else ""
            r["severity_label"] = SEVERITY_LABELS.get(r["severity"], r["severity"])
            r["policy_label"] = policy_label(r["policy_id"])
            r["evidence_text"] = describe(r["rule_code"], evidence)
            r["institution"] = names.get(r["institution_id"], r["institution_id"])
            r["overridable"] = overridable(
                Finding(
                    r["finding_id"],
                    r["class_id"],
                    None,
                    r["rule_code"],
                    r["severity"],
                    r["policy_id"],
                    r["clause"],
                    evidence,
                    False,
                )
            )
        return _plain(rows)

    @app.get("/api/queue")
    def queue(
        who: Viewer,
        city: str | None = None,
        rule: str | None = None,
        class_id: Annotated[str | None, Query(alias="class")] = None,
        institution: str | None = None,
        severity: str | None = None,
        all: bool = False,
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
    ) -> dict[str, Any]:
        """What waits for a decision in the user's scope (or a narrower region),
        oldest first: never decided, lifted on evidence that has since changed, or
        under appeal; with ``all``, every open finding and its latest decision."""
        from crosscheck import decisions

        if city and not re.fullmatch(r"[0-9]{2}|[0-9]{4}|[0-9]{6}", city):
            raise HTTPException(422, f"地区代码 “{city[:20]}” 应为 2、4 或 6 位数字")
        region = _within(who, city)
        try:
            with ondemand.decisions() as con:
                rows = decisions.queue(
                    con,
                    class_id=class_id or None,
                    rule=rule or None,
                    city=region,
                    severity=severity or None,
                    institution=institution or None,
                    include_decided=all,
                    limit=limit,
                )
                answer = queue_rows(con, rows)
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc
        return {
            "scope": who.scope,
            "scope_label": accounts.scope_label(who.scope),
            "findings": answer,
        }

    @app.get("/api/findings/{finding_id}/history")
    def finding_history(who: Viewer, finding_id: str) -> dict[str, Any]:
        """A finding's decisions and appeals, oldest first."""
        from crosscheck import decisions

        try:
            with ondemand.decisions() as con:
                full = finding_in_scope(con, who, finding_id)
                answer = {
                    "finding_id": full,
                    "status": decisions.status(con, full),
                    "decisions": decisions.history(con, full),
                    "appeals": decisions.appeals(con, full),
                }
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc
        return dict(_plain(answer))

    @app.post("/api/findings/{finding_id}/decision")
    def decide(who: Reviewer, finding_id: str, body: DecisionIn) -> dict[str, Any]:
        """确认 / 驳回 / 准予例外 on an open finding in the user's scope. Counted at once
        by the service's checks and downloads; written to the warehouse by the next run."""
        from crosscheck import decisions

        try:
            with ondemand.decisions() as con:
                full = finding_in_scope(con, who, finding_id)
                try:
                    row = decisions.prepare(
                        con,
                        full,
                        body.kind,
                        who.name,
                        body.reason,
                        body.attachments,
                        second_reviewer=who.may("second_reviewer"),
                    )
                except decisions.DecisionError as exc:
                    raise HTTPException(422, str(exc)) from exc
                decisions.stage("decision", row)
                accounts.audit(
                    who.name,
                    "decision",
                    f"{row['class_id']} {row['rule_code']} {full[:12]}",
                    {
                        "kind": decisions.KINDS[row["kind"]],
                        "reason": row["reason"],
                        "attachments": row["attachments"],
                    },
                )
            with ondemand.decisions() as con:
                return {
                    "finding_id": full,
                    "status": decisions.status(con, full),
                    "decision": _plain(decisions.history(con, full)[-1]),
                }
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc

    @app.post("/api/findings/{finding_id}/appeal")
    def appeal(who: Reviewer, finding_id: str, body: AppealIn) -> dict[str, Any]:
        """Record an appeal received against a finding: it reopens it for a second
        reviewer (not the one whose decision is disputed) and holds the payment."""
        from crosscheck import decisions

        try:
            with ondemand.decisions() as con:
                full = finding_in_scope(con, who, finding_id)
                try:
                    row = decisions.prepare_appeal(
                        con, full, body.party, body.grounds, who.name, body.attachments
                    )
                except decisions.DecisionError as exc:
                    raise HTTPException(422, str(exc)) from exc
                decisions.stage("appeal", row)
                accounts.audit(
                    who.name,
                    "appeal",
                    f"{row['class_id']} {row['rule_code']} {full[:12]}",
                    {"party": decisions.PARTIES[row["party"]], "grounds": row["grounds"]},
                )
            with ondemand.decisions() as con:
                return {"finding_id": full, "status": decisions.status(con, full)}
        except CrosscheckError as exc:
            raise HTTPException(503, str(exc)) from exc

    @app.get("/api/audit")
    def audit_log(
        who: Admin,
        user: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> dict[str, Any]:
        """The audit log, newest first: by user, action and dates (YYYY-MM-DD)."""
        try:
            start = dt.date.fromisoformat(since) if since else None
            end = dt.date.fromisoformat(until) if until else None
        except ValueError as exc:
            raise HTTPException(422, "日期应为 YYYY-MM-DD 格式") from exc
        return {
            "actions": accounts.ACTIONS,
            "entries": accounts.audit_log(
                who=user or None, action=action or None, since=start, until=end, limit=limit
            ),
        }

    return app

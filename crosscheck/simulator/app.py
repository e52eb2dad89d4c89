"""The simulator's HTTP API (FastAPI) and its fault-injecting ASGI wrapper."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import math
from collections.abc import MutableMapping
from pathlib import Path
from typing import Annotated, Any

import polars as pl
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from crosscheck.simulator.faults import Dice, Faults, RateLimiter
from crosscheck.simulator.store import REGISTRIES, Store, UnknownRegistry

MAX_PAGE = 5000
MAX_LOOKUP = 1000


class LookupRequest(BaseModel):
    id_numbers: list[str] = Field(max_length=MAX_LOOKUP, description="ID numbers to look up")


def _cursor(pos: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"p": pos}).encode()).decode().rstrip("=")


def _position(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return int(json.loads(base64.urlsafe_b64decode(padded))["p"])
    except (ValueError, KeyError, TypeError) as exc:
        raise HTTPException(400, f"invalid cursor: {cursor!r}") from exc


def _records_json(frame: pl.DataFrame) -> bytes:
    frame = frame.drop("_pos", strict=False).with_columns(
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%dT%H:%M:%S")
    )
    return frame.write_json().encode() if frame.height else b"[]"


def create_app(
    world: Path, token: str, faults: Faults | None = None, rate: float = 0.0, burst: int = 50
) -> FastAPI:
    store = Store(world)
    faults = faults or Faults()
    dice = Dice(faults.seed)
    app = FastAPI(
        title="crosscheck registry simulator",
        description="A synthetic world's registries, served as the real systems serve them. "
        "Every endpoint but /health needs `Authorization: Bearer <token>`.",
        version="1",
    )
    app.state.store, app.state.faults, app.state.dice = store, faults, dice
    app.state.limiter = RateLimiter(rate, burst)

    def auth(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != f"Bearer {token}":
            raise HTTPException(
                401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"}
            )

    Auth = Depends(auth)

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "world": str(world), "registries": len(REGISTRIES)}

    @app.get("/registries", tags=["registries"], dependencies=[Auth])
    def registries() -> list[dict[str, Any]]:
        """Every registry with its row count and its latest change."""
        return [
            {
                "name": n,
                "rows": store.counts[n],
                "title": REGISTRIES[n].title,
                "latest_update": (store.latest(n) or dt.datetime.min).isoformat(),
            }
            for n in REGISTRIES
        ]

    @app.get(
        "/registries/{name}/records",
        tags=["registries"],
        dependencies=[Auth],
        response_class=Response,
    )
    def records(
        name: str,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000,
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        updated_since: Annotated[
            dt.datetime | None,
            Query(
                description="only records changed after this time (ISO 8601); ignored with a cursor"
            ),
        ] = None,
    ) -> Response:
        """One page of a registry, oldest change first. Follow ``next_cursor`` until it
        is null. Records may repeat across pages: de-duplicate on the registry's key."""
        try:
            after = _position(cursor)
            if after is None:
                after = store.start_after(name, updated_since)
            frame = store.page(name, after, limit)
            if dice.roll(faults.duplicate_rate) and after > 0:
                frame = pl.concat([store.page(name, after - 1, 1), frame])
        except UnknownRegistry:
            raise HTTPException(404, f"no registry named {name!r}") from None
        last = int(frame["_pos"].max()) if frame.height else after  # type: ignore[arg-type]
        more = last < store.counts[name]
        head = {
            "registry": name,
            "count": frame.height,
            "next_cursor": _cursor(last) if more else None,
        }
        body = (
            json.dumps(head, ensure_ascii=False)[:-1].encode()
            + b',"records":'
            + _records_json(frame)
            + b"}"
        )
        return Response(body, media_type="application/json")

    @app.post(
        "/registries/{name}/lookup",
        tags=["registries"],
        dependencies=[Auth],
        response_class=Response,
    )
    def lookup(name: str, request: LookupRequest) -> Response:
        """Every record of the registry for up to 1,000 ID numbers (on-demand checks)."""
        try:
            frame = store.lookup(name, request.id_numbers)
        except UnknownRegistry:
            raise HTTPException(404, f"no registry named {name!r}") from None
        head = json.dumps({"registry": name, "count": frame.height}).encode()[:-1]
        return Response(
            head + b',"records":' + _records_json(frame) + b"}", media_type="application/json"
        )

    @app.get("/admin/faults", tags=["admin"], dependencies=[Auth])
    def get_faults() -> dict[str, float | int]:
        return faults.as_dict()

    @app.put("/admin/faults", tags=["admin"], dependencies=[Auth])
    def put_faults(values: dict[str, float]) -> dict[str, float | int]:
        """Switch faults at run time, e.g. ``{"error_rate": 0.1}``."""
        try:
            faults.update(values)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        return faults.as_dict()

    @app.post("/admin/reload", tags=["admin"], dependencies=[Auth])
    def reload() -> dict[str, int]:
        """Re-read the world's files (after ``crosscheck world advance``)."""
        store.load()
        return store.counts

    @app.get("/api-docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> str:
        return _docs_page(app.openapi())

    return app


def _docs_page(spec: dict[str, Any]) -> str:
    """The OpenAPI description as plain HTML (the stock /docs page needs a CDN)."""
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            rows.append(
                f"<tr><td><code>{method.upper()} {path}</code></td><td>{params}</td>"
                f"<td>{op.get('summary', '')}<br>"
                f"<small>{op.get('description', '')}</small></td></tr>"
            )
    return (
        f"<!doctype html><meta charset=utf-8><title>{spec['info']['title']}</title>"
        f"<h1>{spec['info']['title']}</h1><p>{spec['info']['description']}</p>"
        "<p>Machine-readable: <a href=/openapi.json>/openapi.json</a></p>"
        "<table border=1 cellpadding=4><tr><th>endpoint</th><th>parameters</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


class FaultWrapper:
    """ASGI wrapper: latency, slow answers, 5xx, 429, dropped and truncated bodies."""

    def __init__(self, app: FastAPI):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/registries"):
            await self.app(scope, receive, send)
            return
        faults: Faults = self.app.state.faults
        dice: Dice = self.app.state.dice
        headers = dict(scope.get("headers", []))
        wait = self.app.state.limiter.take(headers.get(b"authorization", b"").decode())
        if wait:
            await _plain(
                send,
                429,
                b'{"detail":"rate limit"}',
                [(b"retry-after", str(max(1, math.ceil(wait))).encode())],
            )
            return
        delay = faults.latency_ms + (faults.slow_ms if dice.roll(faults.slow_rate) else 0)
        if delay:
            await asyncio.sleep(delay / 1000)
        if dice.roll(faults.error_rate):
            await _plain(send, 503, b'{"detail":"injected fault: service unavailable"}')
            return
        drop, cut = dice.roll(faults.drop_rate), dice.roll(faults.truncate_rate)
        if not (drop or cut):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        half = body[: len(body) // 2]
        if start.get("status") != 200:
            await send(start)
            await send({"type": "http.response.body", "body": body})
        elif drop:  # promise the whole body, send half, hang up
            await send(start)
            await send({"type": "http.response.body", "body": half, "more_body": True})
        else:  # a well-formed HTTP answer whose JSON stops half-way
            hdrs = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            length = (b"content-length", str(len(half)).encode())
            await send({**start, "headers": [*hdrs, length]})
            await send({"type": "http.response.body", "body": half})


async def _plain(
    send: Any, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(extra or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def serve(
    world: Path, host: str, port: int, token: str, faults: Faults, rate: float, burst: int
) -> None:
    import uvicorn

    app = create_app(world, token, faults, rate, burst)
    try:
        uvicorn.run(FaultWrapper(app), host=host, port=port, log_level="warning", access_log=False)
    finally:
        app.state.store.close()

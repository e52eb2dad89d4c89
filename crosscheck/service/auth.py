"""Bearer tokens and roles. ``viewer`` reads the dashboard (masked data only);
``reviewer`` may also run on-demand checks. Tokens come from
``$CROSSCHECK_HOME/tokens.json`` (``{"<token>": {"name": "...", "role": "viewer"}}``),
else two development tokens that the service announces when it starts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from crosscheck.errors import CrosscheckError
from crosscheck.paths import home_dir

ROLES = ("viewer", "reviewer")
MIN_TOKEN = 16  # characters: an empty or short token is refused when the file is read
DEV_TOKENS = {
    "crosscheck-viewer-dev": ("开发用只读账号", "viewer"),
    "crosscheck-reviewer-dev": ("开发用审核账号", "reviewer"),
}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def tokens_file() -> Path:
    return home_dir() / "tokens.json"


def load_tokens(path: Path | None = None) -> tuple[dict[str, Principal], bool]:
    """The token table, and whether it is the development default."""
    path = path or tokens_file()
    if not path.exists():
        return {t: Principal(n, r) for t, (n, r) in DEV_TOKENS.items()}, True
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        table = {
            str(token): Principal(str(entry["name"]), str(entry["role"]))
            for token, entry in raw.items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        shape = '{"令牌": {"name": "姓名", "role": "viewer 或 reviewer"}}'
        raise CrosscheckError(f"{path}：令牌文件格式错误，应为 {shape}") from exc
    weak = [t for t in table if len(t.strip()) < MIN_TOKEN or t in DEV_TOKENS]
    if weak:
        raise CrosscheckError(
            f"{path}：有 {len(weak)} 个令牌为空、少于 {MIN_TOKEN} 个字符或是公开的开发令牌；"
            "每位用户应有各自的随机令牌（如 python -c 'import secrets; "
            "print(secrets.token_urlsafe(24))' 生成）"
        )
    bad = [p.role for p in table.values() if p.role not in ROLES]
    if bad:
        raise CrosscheckError(
            f"{path}：未知角色 {', '.join(sorted(set(bad)))}（应为 viewer 或 reviewer）"
        )
    return table, False

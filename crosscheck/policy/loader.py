"""Loading policy files: strict, with errors that name the file and the key."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from crosscheck.errors import PolicyError
from crosscheck.paths import data_dir
from crosscheck.policy.model import Param, Policy
from crosscheck.validation import describe, read_yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def policy_dir() -> Path:
    return data_dir() / "policies"


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``loc`` (the path of the offending key's parent)."""
    current: type[BaseModel] = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        current = nested[0]
    if issubclass(current, Param):
        return list(Param.model_fields)
    return [f.alias or name for name, f in current.model_fields.items()]


def load_file(path: Path) -> Policy:
    """Load one policy file or raise :class:`PolicyError` naming file and key."""
    raw, text = read_yaml(path, "策略文件", PolicyError, lambda t: yaml.load(t, Loader=_LOADER))
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}：策略文件应为键值映射（YAML mapping）")
    try:
        policy = Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(
            describe(exc, path, "策略文件", lambda loc: _known_keys(Policy, loc))
        ) from None
    if policy.id != path.stem:
        raise PolicyError(f"{path}：id “{policy.id}” 应与文件名 “{path.stem}” 一致")
    policy._version = hashlib.sha256(text).hexdigest()[:12]
    return policy


def load_all(folder: Path | None = None) -> dict[str, Policy]:
    """Every policy in a folder (default: the bundled ``data/policies``), by id."""
    folder = folder or policy_dir()
    return {p.id: p for p in (load_file(f) for f in sorted(folder.glob("*.yaml")))}


@lru_cache(maxsize=1)
def _bundled() -> dict[str, Policy]:
    return load_all()


def bundled() -> dict[str, Policy]:
    """The bundled policies by id, read once per process."""
    return _bundled()


def get(policy_id: str) -> Policy:
    """A bundled policy by id, with the known ids listed when it does not exist."""
    policies = _bundled()
    if policy_id not in policies:
        hint = difflib.get_close_matches(policy_id, list(policies), n=1)
        raise PolicyError(
            f"没有 id 为 “{policy_id}” 的策略"
            + (f"，是否应为 “{hint[0]}”？" if hint else "")
            + f"（现有：{', '.join(sorted(policies))}）"
        )
    return policies[policy_id]


def label(policy_id: str | None) -> str:
    """What people call a policy (抚顺2023), or its id when it is not bundled."""
    if not policy_id:
        return ""
    found = _bundled().get(policy_id)
    return found.label if found is not None else policy_id


def in_force(region_code: str, day: dt.date, programme: str | None = None) -> list[Policy]:
    """The bundled policies in force for a place on a day, most specific first."""
    found = [p for p in _bundled().values() if p.applies(region_code, day, programme)]
    return sorted(found, key=lambda p: -len(p.jurisdiction.county or p.jurisdiction.city or "00"))

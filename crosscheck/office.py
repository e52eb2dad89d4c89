"""The issuing office: who signs the 补贴核算表 and publishes the 公示, and where an
objection is lodged.

The notices name the office (000 §3(七): 市公共就业服务部门 publishes the list; 001
§4(六): 市就业和人才服务中心 on 抚顺市就业网) but not its address or telephone, which
every real notice carries. They are configuration: ``$CROSSCHECK_HOME/office.yaml``,
one entry per city (4-digit code) and an optional ``default``::

    default:
      unit: 市公共就业服务部门
    cities:
      "2104":
        unit: 抚顺市就业和人才服务中心
        address: 抚顺市新抚区……
        telephone: 024-……

Without the file (or a city in it) the unit is the city's 公共就业服务部门 and the
address and telephone are left for the official to fill in on paper.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crosscheck import regions
from crosscheck.errors import CrosscheckError
from crosscheck.paths import home_dir


@dataclass(frozen=True)
class Office:
    unit: str
    address: str | None = None
    telephone: str | None = None

    @property
    def contact(self) -> str:
        """Where to object, as the notice prints it."""
        phone = f"电话 {self.telephone}" if self.telephone else None
        parts = [p for p in (self.address, phone) if p]
        return f"{self.unit}（{'，'.join(parts)}）" if parts else self.unit


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unit: str = Field(min_length=2, max_length=60)
    address: str | None = Field(default=None, max_length=120)
    telephone: str | None = Field(default=None, max_length=40)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: _Entry | None = None
    cities: dict[str, _Entry] = Field(default_factory=dict)


def path() -> Path:
    return home_dir() / "office.yaml"


def _read(file: Path) -> _File:
    from crosscheck.validation import describe, read_yaml

    data, _ = read_yaml(file, "落款配置文件", CrosscheckError)
    try:
        parsed = _File.model_validate(data or {})
    except ValidationError as exc:
        raise CrosscheckError(describe(exc, file, "落款配置文件")) from None
    bad = [c for c in parsed.cities if not (len(c) == 4 and c.isdigit())]
    if bad:
        raise CrosscheckError(f"{file}：城市代码应为 4 位数字（{'、'.join(bad[:3])}）")
    return parsed


def for_province(province_code: str | None, file: Path | None = None) -> Office:
    """The office that files a province's report: the configured default, else the
    province's 公共就业服务部门."""
    file = file or path()
    config = _read(file) if file.exists() else _File()
    if config.default is not None:
        entry = config.default
        return Office(entry.unit, entry.address, entry.telephone)
    name = regions.province_name(province_code) if province_code else None
    return Office(f"{name}公共就业服务部门" if name else "公共就业服务部门")


def for_region(region_code: str | None, file: Path | None = None) -> Office:
    """The office of the city a class is in (its 6-digit region code)."""
    file = file or path()
    config = _read(file) if file.exists() else _File()
    city = (region_code or "")[:4]
    entry = config.cities.get(city) or config.default
    if entry is not None:
        return Office(entry.unit, entry.address, entry.telephone)
    name = regions.lookup(city + "00").prefecture if len(city) == 4 else None
    return Office(f"{name}公共就业服务部门" if name else "市公共就业服务部门")

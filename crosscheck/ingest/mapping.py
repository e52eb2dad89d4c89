"""Source mappings: a bureau's own extract read as crosscheck's contract, without code.

A mapping file (YAML, strictly validated like the policies) says which files of a
folder belong to one source, how to read them (encoding, rows above the header,
sheet, delimiter), and, for every contract column, where its value comes from: one
of the file's columns, several joined (a key the source does not have as one
column), or a constant; with a value map for coded columns and date formats for
``YYYYMM`` months, ``YYYYMMDD`` days or Excel serial numbers. ``crosscheck ingest
--files DIR --mapping FILE`` applies it before the gate, and the gate's reasons
name the source's own column and the file's own row. See ``examples/mappings``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import unicodedata
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crosscheck.connectors.roster import column_letter
from crosscheck.errors import CrosscheckError
from crosscheck.idnumber import mask_text
from crosscheck.ingest.sources import ALL_SOURCES, Source
from crosscheck.validation import describe, read_yaml
from crosscheck.world import schema


class MappingError(CrosscheckError):
    """A mapping that cannot be used: the file, the key and what is wrong, in Chinese."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ENCODINGS = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "utf8": "utf-8"}


class FileSpec(_Strict):
    pattern: str = Field(min_length=1)  # glob in the folder; sorted by name = load order
    format: Literal["csv", "xlsx"] | None = None  # default: from the file's suffix
    encoding: Literal["auto", "utf-8", "gb18030"] = "auto"  # auto: UTF-8, else GB18030
    delimiter: str = Field(",", min_length=1, max_length=1)
    skip_rows: int = Field(0, ge=0, le=100)  # rows above the header row
    sheet: str | int = 0  # xlsx: the sheet's name or its index from 0

    @field_validator("encoding", mode="before")
    @classmethod
    def _encoding_names(cls, v: Any) -> Any:  # GBK, GB2312, UTF8 … as people write them
        if isinstance(v, str):
            key = v.strip().lower().replace("_", "-")
            return ENCODINGS.get(key, key)
        return v

    @field_validator("sheet", mode="before")
    @classmethod
    def _sheet_index(cls, v: Any) -> Any:  # the YAML text "0" is the first sheet
        return int(v) if isinstance(v, str) and v.isdigit() else v


class ColumnSpec(_Strict):
    column: str | None = None  # the file's column (its header text)
    columns: list[str] | None = Field(None, min_length=2)  # several, joined by ``join``
    join: str = "-"
    value: str | None = None  # a constant for every row
    values: dict[str, str] | None = None  # the source's code -> crosscheck's value
    format: list[str] | None = None  # date/time formats tried in order: %Y%m, excel, …

    @field_validator("values", mode="before")
    @classmethod
    def _codes_as_text(cls, v: Any) -> Any:  # YAML reads 110 as a number: codes are text
        if isinstance(v, dict):
            return {str(k): _yaml_text(x) for k, x in v.items()}
        return v

    @field_validator("format", mode="before")
    @classmethod
    def _one_format(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("format")
    @classmethod
    def _strptime_formats(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("format 不能为空：应为 strptime 格式（如 %Y%m%d）或 excel")
        for f in v or []:
            if f != "excel" and "%" not in f:
                raise ValueError(
                    f"日期格式“{f}”应为 strptime 写法（如 %Y%m%d、%Y-%m-%d、%Y年%m月%d日）"
                    "或 excel（Excel 日期序号）"
                )
        return v

    @field_validator("value", mode="before")
    @classmethod
    def _constant_as_text(cls, v: Any) -> Any:
        return _yaml_text(v)

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        given = [k for k in ("column", "columns", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("须且只能给出 column、columns、value 其中之一")
        return self


def _yaml_text(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float | dt.date):
        return str(v)
    return v


class Mapping(_Strict):
    source: str
    title: str | None = None  # what the extract is, for people
    file: FileSpec
    columns: dict[str, ColumnSpec]  # contract column -> where its value comes from

    @field_validator("source")
    @classmethod
    def _known_source(cls, v: str) -> str:
        if v not in ALL_SOURCES:
            hint = difflib.get_close_matches(v, list(ALL_SOURCES), n=1)
            raise ValueError(f"没有数据来源“{v}”" + (f"（是否应为 “{hint[0]}”？）" if hint else ""))
        return v

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, v: Any) -> Any:  # `name: 姓名` is `name: {column: 姓名}`
        if isinstance(v, dict):
            return {k: {"column": x} if isinstance(x, str) else x for k, x in v.items()}
        return v

    def problems(self) -> list[str]:
        """What the contract says against the mapping: fields it does not have,
        required fields left out."""
        source = ALL_SOURCES[self.source]
        found = []
        for c in self.columns:
            if c not in source.columns:
                hint = difflib.get_close_matches(c, source.columns, n=1)
                found.append(
                    f"columns.{c}：数据约定中 {self.source} 没有此字段"
                    + (f"（是否应为 “{hint[0]}”？）" if hint else "")
                    + f"；可用字段：{'、'.join(source.columns)}"
                )
        missing = [c for c in source.required if c not in self.columns]
        if missing:
            found.append(f"columns 缺少必填字段 {'、'.join(missing)}（{self.source} 必须有）")
        return found

    @property
    def spec(self) -> dict[str, ColumnSpec]:
        return self.columns

    @property
    def labels(self) -> dict[str, str]:
        """Contract column -> the source's column(s), as messages name them."""
        out = {}
        for target, spec in self.spec.items():
            if spec.column is not None:
                out[target] = spec.column
            elif spec.columns:
                out[target] = "＋".join(spec.columns)
        return out

    @property
    def target(self) -> Source:
        return ALL_SOURCES[self.source]


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    if not loc:
        return list(Mapping.model_fields)
    if loc == ("file",):
        return list(FileSpec.model_fields)
    if len(loc) >= 2 and loc[0] == "columns":
        return list(ColumnSpec.model_fields)
    return []


def _as_text(text: str) -> Any:
    return yaml.load(text, Loader=yaml.BaseLoader)  # BaseLoader builds no objects


def load_mapping(path: Path) -> Mapping:
    """A mapping file, strictly validated: an unknown key, a field the contract does not
    have or a required field left out is a :class:`MappingError` naming file and key."""
    # every scalar read as the text written: a code 01 stays "01" (YAML would read 1),
    # 010 stays "010" (YAML would read 8); pydantic turns "2" into a number where one
    # is wanted
    raw, _ = read_yaml(path, "映射文件", MappingError, load=_as_text)
    if not isinstance(raw, dict):
        raise MappingError(f"{path}：映射文件应为键值对（如 source: … / file: … / columns: …）")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        raise MappingError(describe(exc, path, "映射文件", _known_keys)) from None
    problems = mapping.problems()
    if problems:
        raise MappingError("\n".join([f"{path}：映射文件有误", *(f"  - {p}" for p in problems)]))
    return mapping


# ------------------------------------------------------------------------ reading


def files(mapping: Mapping, folder: Path) -> list[Path]:
    """The folder's files the mapping names, in load order (by name: base, then deltas)."""
    return sorted(p for p in folder.glob(mapping.file.pattern) if p.is_file())


def _rows(
    path: Path, spec: FileSpec, limit: int | None = None
) -> tuple[list[str], list[list[Any]], int]:
    """(header, data rows, the file's row number of the first data row); with ``limit``
    only the file's first rows are read (the header, before a load starts)."""
    kind = spec.format or {".xlsx": "xlsx", ".xlsm": "xlsx"}.get(path.suffix.lower(), "csv")
    if kind == "xlsx":
        from python_calamine import CalamineWorkbook

        try:
            book = CalamineWorkbook.from_path(str(path))
        except Exception:  # calamine's own error types, in English
            raise MappingError(
                f"{path.name}：无法读取 Excel 文件（已损坏、被加密或不是 .xlsx）"
            ) from None
        names = list(book.sheet_names)
        if (isinstance(spec.sheet, str) and spec.sheet not in names) or (
            isinstance(spec.sheet, int) and spec.sheet >= len(names)
        ):
            raise MappingError(
                f"{path.name}：没有 file.sheet 所指的工作表“{spec.sheet}”；"
                f"工作簿中的工作表：{'、'.join(names)}（也可写序号，0 为第一张）"
            )
        sheet = (
            book.get_sheet_by_name(spec.sheet)
            if isinstance(spec.sheet, str)
            else book.get_sheet_by_index(spec.sheet)
        )
        rows = [list(r) for r in sheet.to_python(skip_empty_area=False, nrows=limit)]
    else:
        if limit is None:
            raw = path.read_bytes()
        else:
            with path.open("rb") as handle:
                raw = b"".join(handle.readline() for _ in range(limit))
        encodings = ("utf-8-sig", "gb18030") if spec.encoding == "auto" else (spec.encoding,)
        text = None
        for encoding in encodings:
            try:
                text = raw.decode("utf-8-sig" if encoding == "utf-8" else encoding)
                break
            except UnicodeDecodeError:
                continue
        if text is None:
            raise MappingError(
                f"{path.name}：无法按映射的 file.encoding: {spec.encoding} 解码"
                "（GBK/GB2312 导出请写 gb18030；不确定时写 auto：先试 UTF-8，再试 GB18030）"
                if spec.encoding != "auto"
                else f"{path.name}：编码既不是 UTF-8 也不是 GB18030"
            )
        import csv
        import io

        try:
            rows = [
                list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=spec.delimiter)
            ]
        except csv.Error:
            raise MappingError(f"{path.name}：不是有效的 CSV 文件") from None
    if len(rows) <= spec.skip_rows:
        raise MappingError(
            f"{path.name}：文件只有 {len(rows)} 行，找不到表头（skip_rows: {spec.skip_rows}）"
        )
    header = [_header_text(c) for c in rows[spec.skip_rows]]
    return header, rows[spec.skip_rows + 1 :], spec.skip_rows + 2


def _header_text(value: Any) -> str:
    """A header as it is compared: NFKC (full- and half-width brackets alike), no spaces."""
    return "".join(unicodedata.normalize("NFKC", cell_text(value) or "").split())


def cell_text(value: Any) -> str | None:
    """A cell as the text the source meant (Excel's numbers without ``.0``)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return (
            value.strftime("%Y-%m-%d %H:%M:%S")
            if value.time() != dt.time()
            else f"{value:%Y-%m-%d}"
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _date(text: str | None, formats: list[str], with_time: bool) -> str | None:
    """``text`` in the first format that reads it, as the contract writes dates; the
    text itself when none does (the gate then names the column as unreadable)."""
    if text is None:
        return None
    for f in formats:
        try:
            if f == "excel":
                day = dt.datetime(1899, 12, 30) + dt.timedelta(days=float(text))
            else:
                day = dt.datetime.strptime(text, f)
        except (ValueError, OverflowError):
            continue
        return f"{day:%Y-%m-%d %H:%M:%S}" if with_time else f"{day:%Y-%m-%d}"
    return text


def check_columns(mapping: Mapping, path: Path, mapping_path: Path, header: list[str]) -> None:
    """Every column the mapping names is in the file — else one message naming the
    mapping file, the key, the column and the columns the file has."""
    for target, spec in mapping.spec.items():
        for column in [spec.column] if spec.column else spec.columns or []:
            key = _header_text(column)
            where = [i for i, h in enumerate(header) if h == key]
            if len(where) > 1:  # which one is meant cannot be told
                letters = "、".join(column_letter(i) for i in where)
                raise MappingError(
                    f"{mapping_path}：columns.{target} 指向的列“{column}”在文件 {path.name} 中"
                    f"出现了 {len(where)} 次（第 {letters} 列）：请让源系统导出时改名，或只保留一列"
                )
            if where:
                continue
            hint = difflib.get_close_matches(key, header, n=1)
            listed = mask_text("、".join(h for h in header if h))
            raise MappingError(
                f"{mapping_path}：columns.{target} 指向的列“{column}”不在文件 {path.name} 中"
                + (f"（是否应为 “{mask_text(hint[0])}”？）" if hint else "")
                + f"。文件第 {mapping.file.skip_rows + 1} 行（表头，file.skip_rows: "
                f"{mapping.file.skip_rows}）的列：{listed}"
                "（表头不在这一行时，请调整 file.skip_rows）"
            )


def read(mapping: Mapping, path: Path, mapping_path: Path) -> pl.DataFrame:
    """One extract through its mapping: the contract's columns and types, with
    ``_parse_error`` (contract columns that could not be read) and ``_row`` (the
    file's own row number: CSV line, Excel row)."""
    header, rows, first = _rows(path, mapping.file)
    check_columns(mapping, path, mapping_path, header)
    index = {h: i for i, h in enumerate(header) if h}
    for named in mapping.spec.values():  # the mapping's names as the header is compared
        for column in [named.column] if named.column else named.columns or []:
            index.setdefault(column, index[_header_text(column)])
    keep = [
        (first + n, row) for n, row in enumerate(rows) if any(cell_text(c) is not None for c in row)
    ]
    table = mapping.target.table
    types = table.schema
    data: dict[str, list[str | None]] = {}
    for target, _, _ in table.columns:
        spec = mapping.spec.get(target)
        if spec is None:
            data[target] = [None] * len(keep)
            continue
        if spec.value is not None:
            values: list[str | None] = [spec.value] * len(keep)
        elif spec.column is not None:
            i = index[spec.column]
            values = [cell_text(row[i]) if i < len(row) else None for _, row in keep]
        else:
            cols = [index[c] for c in spec.columns or []]
            values = []
            for _, row in keep:
                parts = [cell_text(row[i]) if i < len(row) else None for i in cols]
                values.append(
                    None
                    if all(p is None for p in parts)
                    else spec.join.join(p or "" for p in parts)
                )
        if spec.values:
            values = [None if v is None else spec.values.get(v, v) for v in values]
        if spec.format:
            with_time = isinstance(types[target], pl.Datetime)
            values = [_date(v, spec.format, with_time) for v in values]
        data[target] = values
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    typed = schema.from_text(table.path, frame, strict=False)
    return typed.with_columns(_row=pl.Series([n for n, _ in keep], dtype=pl.Int64))


def header_of(mapping: Mapping, path: Path) -> list[str]:
    """The header row of an extract, reading no further than it."""
    return _rows(path, mapping.file, limit=mapping.file.skip_rows + 1)[0]

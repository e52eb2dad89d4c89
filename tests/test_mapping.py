"""Source mappings (issue 14): a bureau's own extract — its headers, codes, date
formats, encoding, title rows — loaded without code, through a YAML mapping, and
proved equal to the same rows in crosscheck's own layout. Also: deltas loaded file
by file, and fields a source may not have."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from crosscheck import warehouse
from crosscheck.ingest.mapping import MappingError, load_mapping, read
from crosscheck.ingest.run import from_files
from crosscheck.ingest.sources import ALL_SOURCES
from tests.conftest import REPO, run_cli

EXAMPLES = REPO / "examples"
AS_OF = dt.date(2026, 11, 30)
CASES = [
    (
        "pension_contributions",
        "pension-fushun-sis.yaml",
        "pension",
        "养老保险缴费明细_20261130.csv",
    ),
    (
        "business_licences",
        "licences-fushun-samr.yaml",
        "licences",
        "市场主体登记人员信息_20261130.xlsx",
    ),
]


def _table(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[object, ...]]:
    columns = ", ".join(f'"{c}"' for c in ALL_SOURCES[source].columns)
    return con.execute(
        f'SELECT {columns}, id_number_raw FROM "{source}" ORDER BY record_key'
    ).fetchall()


def _bureau_folder(tmp_path: Path, folder: str, name: str) -> Path:
    target = tmp_path / "export"
    target.mkdir()
    shutil.copy(EXAMPLES / "extracts" / folder / name, target / name)
    return target


@pytest.mark.parametrize(("source", "mapping", "folder", "name"), CASES)
def test_an_example_mapping_loads_its_extract_as_the_canonical_rows(
    tmp_path: Path, source: str, mapping: str, folder: str, name: str
) -> None:
    mapped = warehouse.connect(tmp_path / "mapped.duckdb", create=True)
    path = EXAMPLES / "mappings" / mapping
    _, (outcome,) = from_files(
        mapped,
        _bureau_folder(tmp_path, folder, name),
        as_of=AS_OF,
        mappings=[(path, load_mapping(path))],
    )
    assert outcome.status == "loaded", outcome.detail
    assert outcome.rejected == 0
    canonical = warehouse.connect(tmp_path / "canonical.duckdb", create=True)
    _, (plain,) = from_files(
        canonical, EXAMPLES / "extracts" / folder / "canonical", sources=[source], as_of=AS_OF
    )
    assert plain.status == "loaded", plain.detail
    rows = _table(mapped, source)
    assert len(rows) == 5
    assert rows == _table(canonical, source)
    # the IDs were typed badly (lower-case x, full-width digits, an inner space):
    # normalised, the text as sent kept beside them
    raws = {str(r[-1]) for r in rows if r[-1] is not None}
    assert any(r.endswith("x") for r in raws)
    assert any("２" in r for r in raws)
    assert any(" " in r for r in raws)
    assert all(len(str(r[1])) == 18 and str(r[1]).isalnum() for r in rows)


def test_values_the_rules_do_not_know_load_verbatim_and_are_reported(tmp_path: Path) -> None:
    """A role the registry uses that crosscheck does not know (执行董事) is loaded as
    sent (the rules read it as "other") and named in the load's detail; a residents'
    pension (code 170) loads and is not employment."""
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    path = EXAMPLES / "mappings" / "licences-fushun-samr.yaml"
    _, (outcome,) = from_files(
        con,
        _bureau_folder(tmp_path, "licences", "市场主体登记人员信息_20261130.xlsx"),
        as_of=AS_OF,
        mappings=[(path, load_mapping(path))],
    )
    assert "role（源列“职务”） 有规则不认识的取值 “执行董事”×1" in outcome.detail
    roles = dict(con.execute("SELECT role, count(*) FROM business_licences GROUP BY 1").fetchall())
    assert roles["执行董事"] == 1
    assert roles["supervisor"] == 1


def _write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_misspelled_key_is_refused_naming_file_and_key(tmp_path: Path) -> None:
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    path = _write_mapping(tmp_path, base.replace("    values:", "    vaules:", 1))
    with pytest.raises(MappingError) as raised:
        load_mapping(path)
    message = str(raised.value)
    assert str(path) in message
    assert "未知字段 columns.scheme.vaules" in message
    assert "是否应为 “values”" in message


def test_a_field_the_contract_does_not_have_or_a_required_one_missing_is_refused(
    tmp_path: Path,
) -> None:
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    path = _write_mapping(tmp_path, base.replace("  employer_name:", "  employer:", 1))
    with pytest.raises(MappingError, match=r"columns\.employer：数据约定中 pension_contributions"):
        load_mapping(path)
    path = _write_mapping(tmp_path, base.replace("  month_to:", "  # month_to:", 1))
    with pytest.raises(MappingError, match="缺少必填字段 month_to"):
        load_mapping(path)


def test_a_column_not_in_the_file_is_refused_naming_mapping_key_and_column(
    tmp_path: Path, home: Path
) -> None:
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    path = _write_mapping(tmp_path, base.replace("id_number: 公民身份号码", "id_number: 身份证号"))
    folder = _bureau_folder(tmp_path, "pension", "养老保险缴费明细_20261130.csv")
    db = tmp_path / "w.duckdb"
    result = run_cli("db", "init", "--db", str(db), home=home)
    assert result.returncode == 0, result.stderr
    result = run_cli(
        "ingest", "--files", str(folder), "--mapping", str(path), "--db", str(db), home=home
    )
    assert result.returncode == 2
    message = " ".join((result.stdout + result.stderr).split())
    assert "columns.id_number 指向的列“身份证号”不在文件" in message
    assert "养老保险缴费明细_20261130.csv" in message
    assert "mapping.yaml" in message
    assert "Traceback" not in message
    con = warehouse.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM runs").fetchall()[0][0] == 0  # nothing started
    con.close()


def test_the_gate_names_the_sources_column_and_the_files_row(tmp_path: Path) -> None:
    folder = _bureau_folder(tmp_path, "pension", "养老保险缴费明细_20261130.csv")
    name = folder / "养老保险缴费明细_20261130.csv"
    lines = name.read_bytes().decode("gb18030").split("\r\n")
    lines[5] = lines[5].replace("202201", "202213")  # file line 6: a month that is none
    lines[6] = lines[6].replace(",202509,", ",,")  # file line 7: no start month
    name.write_bytes("\r\n".join(lines).encode("gb18030"))
    path = EXAMPLES / "mappings" / "pension-fushun-sis.yaml"
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    from_files(con, folder, as_of=AS_OF, mappings=[(path, load_mapping(path))])
    reasons = dict(con.execute("SELECT _row, reason FROM quarantine ORDER BY _row").fetchall())
    assert set(reasons) == {6, 7}
    assert "month_from（源列“缴费起始年月”）" in reasons[6]
    assert "字段无法解析" in reasons[6]
    assert "缺少必填字段 month_from（源列“缴费起始年月”）" in reasons[7]


def test_source_preview_shows_the_mapping_rows_and_verdict_without_loading(
    tmp_path: Path, home: Path
) -> None:
    extract = EXAMPLES / "extracts" / "licences" / "市场主体登记人员信息_20261130.xlsx"
    mapping = EXAMPLES / "mappings" / "licences-fushun-samr.yaml"
    result = run_cli(
        "source", "preview", str(extract), "--mapping", str(mapping), home=home, columns="200"
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "“职务”" in text
    assert "代码对照 4 项" in text
    assert "结论：可以载入" in text
    assert "执行董事" in text
    canonical = pl.read_csv(
        EXAMPLES / "extracts" / "licences" / "canonical" / "registries" / "business_licences.csv"
    )
    for number in canonical["id_number"]:
        clean = "".join(number.split()).upper()
        assert clean not in text  # never a full ID number on screen
    assert "210402********2015" in text
    assert not list(home.glob("**/*.duckdb"))  # nothing loaded anywhere
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    result = run_cli("source", "preview", str(broken), "--mapping", str(mapping), home=home)
    assert result.returncode == 2
    assert "无法读取 Excel 文件" in result.stderr + result.stdout


def test_a_new_delta_file_loads_alone_and_a_changed_base_reloads_whole(tmp_path: Path) -> None:
    folder = _bureau_folder(tmp_path, "pension", "养老保险缴费明细_20261130.csv")
    path = EXAMPLES / "mappings" / "pension-fushun-sis.yaml"
    mappings = [(path, load_mapping(path))]
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, (first,) = from_files(con, folder, as_of=AS_OF, mappings=mappings)
    assert first.status == "loaded"
    assert first.read == 5
    _, (again,) = from_files(con, folder, as_of=AS_OF, mappings=mappings)
    assert again.status == "unchanged"
    base = (folder / "养老保险缴费明细_20261130.csv").read_bytes().decode("gb18030")
    head, rows = base.split("\r\n")[:3], base.split("\r\n")[3:]
    changed = rows[0].replace("202312", "202406")  # the same record, a later last month
    delta = "\r\n".join([*head, changed, rows[1]]) + "\r\n"
    (folder / "养老保险缴费明细_20261201.csv").write_bytes(delta.encode("gb18030"))
    _, (second,) = from_files(con, folder, as_of=AS_OF, mappings=mappings)
    assert second.status == "loaded"
    assert second.read == 2  # the delta alone: the base was not read again
    assert "只读取新文件 养老保险缴费明细_20261201.csv" in second.detail
    month = con.execute(
        "SELECT month_to FROM pension_contributions WHERE record_key LIKE '2104000123-%'"
    ).fetchall()
    assert month == [(dt.date(2024, 6, 1),)]
    assert con.execute("SELECT count(*) FROM pension_contributions").fetchall()[0][0] == 5
    files = con.execute("SELECT file FROM load_files ORDER BY position").fetchall()
    assert [f[0] for f in files][1:] == [
        "养老保险缴费明细_20261130.csv",
        "养老保险缴费明细_20261201.csv",
    ]
    # the base itself changed (a record withdrawn): the whole source is read again
    (folder / "养老保险缴费明细_20261130.csv").write_bytes(
        ("\r\n".join([*head, *rows[:4]]) + "\r\n").encode("gb18030")
    )
    _, (third,) = from_files(con, folder, as_of=AS_OF, mappings=mappings, allow_shrink=True)
    assert third.status == "loaded"
    assert third.read == 6
    assert "只读取新文件" not in third.detail


def test_a_new_parquet_delta_in_a_world_folder_loads_alone(tmp_path: Path) -> None:
    folder = tmp_path / "world" / "registries"
    folder.mkdir(parents=True)
    canonical = pl.read_csv(
        EXAMPLES
        / "extracts"
        / "pension"
        / "canonical"
        / "registries"
        / "pension_contributions.csv",
        infer_schema=False,
    )
    from crosscheck.world import schema

    typed = schema.from_text("registries/pension_contributions", canonical)
    typed.write_parquet(folder / "pension_contributions.parquet")
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, (first,) = from_files(con, tmp_path / "world", as_of=AS_OF)
    assert first.read == 5
    # Dated on the load's day: a delta dated later waits for its day (test_ingest).
    day = AS_OF.isoformat()
    (folder / "deltas" / day).mkdir(parents=True)
    typed.head(1).with_columns(month_to=pl.lit(dt.date(2024, 6, 1))).write_parquet(
        folder / "deltas" / day / "pension_contributions.parquet"
    )
    _, (second,) = from_files(con, tmp_path / "world", as_of=AS_OF)
    assert second.status == "loaded", second.detail
    assert second.read == 1
    assert con.execute(
        "SELECT count(*) FROM pension_contributions WHERE month_to = DATE '2024-06-01'"
    ).fetchall() == [(1,)]


def test_a_file_without_an_optional_field_loads_and_one_without_a_required_field_fails(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "ops" / "operations"
    folder.mkdir(parents=True)
    (folder / "payments.csv").write_text(  # no amount_fen: no rule reads it
        "class_id,batch_id,paid_on,account_type\nC1,B1,2026-01-05,basic\n", encoding="utf-8"
    )
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    _, (outcome,) = from_files(con, tmp_path / "ops", sources=["payments"], as_of=AS_OF)
    assert outcome.status == "loaded", outcome.detail
    assert con.execute("SELECT amount_fen, account_type FROM payments").fetchall() == [
        (None, "basic")
    ]
    (folder / "payments.csv").write_text(  # no account_type: NOTICE_PERIOD_INCOMPLETE needs it
        "class_id,batch_id,paid_on,amount_fen\nC1,B1,2026-01-05,100\n", encoding="utf-8"
    )
    _, (outcome,) = from_files(con, tmp_path / "ops", sources=["payments"], as_of=AS_OF)
    assert outcome.status == "failed"
    assert "缺少必填列 account_type" in outcome.detail
    assert con.execute("SELECT count(*) FROM payments").fetchall() == [(1,)]  # kept


def test_every_required_field_says_which_rule_needs_it() -> None:
    from crosscheck.ingest.sources import KEY, LINK, NEEDED_BY
    from crosscheck.rules import RULES

    for name, source in ALL_SOURCES.items():
        assert set(NEEDED_BY[name]) == set(source.required), name
        for why in NEEDED_BY[name].values():
            for word in why:
                if word.isupper():
                    assert word in RULES, (name, word)
                else:
                    assert word in (KEY, LINK) or " " in word, (name, word)


def _ids(folder: str) -> list[str]:
    canonical = next((EXAMPLES / "extracts" / folder / "canonical" / "registries").glob("*.csv"))
    return ["".join(n.split()).upper() for n in pl.read_csv(canonical)["id_number"]]


def test_no_full_id_number_is_shown_whatever_the_mapping_gets_wrong(
    tmp_path: Path, home: Path
) -> None:
    """A header row taken one row too low (the data row printed as "the file's
    columns"), a key built from the ID number, a coded field pointed at the ID column:
    every message and preview masks the numbers (found by a newcomer's run)."""
    extract = EXAMPLES / "extracts" / "pension" / "养老保险缴费明细_20261130.csv"
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    variants = {
        "low.yaml": base.replace("skip_rows: 2", "skip_rows: 3"),
        "key.yaml": base.replace(
            "    columns: [个人编号, 险种类型, 缴费起始年月]",
            "    columns: [公民身份号码, 险种类型]",
        ),
        "coded.yaml": base.replace("    column: 险种类型\n", "    column: 公民身份号码\n", 1),
    }
    ids = _ids("pension")
    for name, text in variants.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        for args in (["--json"], []):
            result = run_cli(
                "source",
                "preview",
                str(extract),
                "--mapping",
                str(path),
                *args,
                home=home,
                columns="250",
            )
            shown = result.stdout + result.stderr
            assert result.returncode in (0, 1, 2), shown
            assert "Traceback" not in shown
            for number in ids:
                assert number not in shown, (name, args)
                assert number.lower() not in shown, (name, args)
    low = run_cli(
        "source", "preview", str(extract), "--mapping", str(tmp_path / "low.yaml"), home=home
    )
    assert low.returncode == 2
    assert "表头" in low.stderr + low.stdout


def test_codes_keep_their_leading_zeros_and_people_write_encodings_their_way(
    tmp_path: Path,
) -> None:
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    text = base.replace("encoding: gb18030", "encoding: GBK").replace(
        "      170: 城乡居民基本养老保险", "      0170: 城乡居民基本养老保险\n      010: 其他"
    )
    mapping = _write_mapping(tmp_path, text)
    loaded = load_mapping(mapping)
    assert loaded.file.encoding == "gb18030"
    scheme = loaded.spec["scheme"].values or {}
    assert scheme["0170"] == "城乡居民基本养老保险"
    assert scheme["010"] == "其他"  # YAML itself reads 010 as the number 8
    assert scheme["110"] == "城镇企业职工基本养老保险"
    assert loaded.file.skip_rows == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('format: "%Y%m"}', "format: YYYYMM}"), "日期格式“YYYYMM”应为 strptime 写法"),
        (('format: "%Y%m"}', "format: []}"), "format 不能为空"),
        (("encoding: gb18030", "encoding: big5"), "file.encoding"),
    ],
)
def test_a_date_format_or_encoding_that_cannot_work_is_refused(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    base = (EXAMPLES / "mappings" / "pension-fushun-sis.yaml").read_text(encoding="utf-8")
    path = _write_mapping(tmp_path, base.replace(*change, 1))
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_headers_match_across_bracket_widths_and_a_doubled_header_is_named(
    tmp_path: Path,
) -> None:
    """The licence export's 注销（吊销）日期 written with half-width brackets in the
    mapping still matches; a header that appears twice is refused naming both columns;
    a sheet that is not there lists the sheets there are."""
    extract = EXAMPLES / "extracts" / "licences" / "市场主体登记人员信息_20261130.xlsx"
    base = (EXAMPLES / "mappings" / "licences-fushun-samr.yaml").read_text(encoding="utf-8")
    mapping = _write_mapping(tmp_path, base.replace("注销（吊销）日期", "注销(吊销)日期"))
    frame = read(load_mapping(mapping), extract, mapping)
    assert frame["deregistered_on"].drop_nulls().len() == 2
    mapping = _write_mapping(tmp_path, base.replace("sheet: 人员信息", "sheet: Sheet1"))
    with pytest.raises(MappingError, match="工作簿中的工作表：人员信息"):
        read(load_mapping(mapping), extract, mapping)
    doubled = tmp_path / "doubled.csv"
    doubled.write_text(
        "记录号,证件号码,日期,日期\nK1,210402200103052015,20190901,2023/06/30\n", encoding="utf-8"
    )
    mapping = _write_mapping(
        tmp_path,
        "source: dishonesty_list\nfile: {pattern: doubled.csv}\ncolumns:\n"
        "  record_key: 记录号\n  id_number: 证件号码\n  subject_type: {value: person}\n"
        '  listed_from: {column: 日期, format: "%Y%m%d"}\n',
    )
    with pytest.raises(MappingError, match=r"出现了 2 次（第 C、D 列）"):
        read(load_mapping(mapping), doubled, mapping)


def test_an_unreadable_value_is_quoted_in_its_reason(tmp_path: Path) -> None:
    folder = _bureau_folder(tmp_path, "pension", "养老保险缴费明细_20261130.csv")
    name = folder / "养老保险缴费明细_20261130.csv"
    lines = name.read_bytes().decode("gb18030").split("\r\n")
    lines[5] = lines[5].replace("202201", "2022年1月")
    name.write_bytes("\r\n".join(lines).encode("gb18030"))
    path = EXAMPLES / "mappings" / "pension-fushun-sis.yaml"
    con = warehouse.connect(tmp_path / "w.duckdb", create=True)
    from_files(con, folder, as_of=AS_OF, mappings=[(path, load_mapping(path))])
    ((reason,),) = con.execute("SELECT reason FROM quarantine").fetchall()
    assert reason == "字段无法解析：month_from（源列“缴费起始年月”） 的“2022年1月”"

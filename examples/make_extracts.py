"""Write the example extracts: each bureau file and the same rows in crosscheck's
own layout (``canonical/``), from one hand-written list of synthetic records.

Usage: python examples/make_extracts.py   (rewrites examples/extracts/)

``tests/test_mapping.py`` loads each bureau file through its mapping
(``examples/mappings/``) and the canonical file without one, and compares the
tables row for row. All people are synthetic: the ID numbers are built here
with valid check digits for made-up sequence numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from crosscheck.idnumber import check_digit

HERE = Path(__file__).resolve().parent / "extracts"


def _id(region: str, birth: str, seq: str) -> str:
    first = region + birth + seq
    return first + check_digit(first)


def _id_x(region: str, birth: str) -> str:
    """The first made-up number of that region and birth date whose check digit is X."""
    return next(
        n for n in (_id(region, birth, f"{s:03d}") for s in range(300, 400)) if n.endswith("X")
    )


P = [  # (ID, name) of the synthetic people
    (_id("210402", "20010305", "201"), "赵海燕"),
    (_id_x("210403", "20000712"), "钱志强"),
    (_id("210404", "19991120", "425"), "孙丽"),
    (_id("210411", "20020101", "538"), "李卫东"),
    (_id("210402", "20010915", "641"), "周晓梅"),
]
# the X check digit, typed lower case, and full-width digits, as exports carry them
TYPED = {
    0: P[0][0],
    1: P[1][0].lower(),
    2: "".join(chr(ord(c) + 0xFEE0) for c in P[2][0][:6]) + P[2][0][6:],
    3: P[3][0][:6] + " " + P[3][0][6:],
    4: P[4][0],
}

# ------------------------------------------------------------------ pension (社保)
SCHEME = {
    "110": "城镇企业职工基本养老保险",
    "120": "机关事业单位养老保险",
    "170": "城乡居民基本养老保险",
}
PENSION = [  # person, 个人编号, 险种, employer, credit code, city, from, to, updated
    (
        0,
        "2104000123",
        "110",
        "抚顺华信机电有限公司",
        "91210400MA0XYZ1A2B",
        "抚顺市",
        "202307",
        "202312",
        "2026/11/28 09:15:02",
    ),
    (
        1,
        "2104000456",
        "120",
        "抚顺市第二中学",
        "12210400A00001234C",
        "抚顺市",
        "202401",
        "202410",
        "2026/11/28 10:01:44",
    ),
    (2, "2104000789", "170", "", "", "抚顺市", "202201", "202512", "2026/11/29 08:00:00"),
    (
        3,
        "2101000321",
        "110",
        "沈阳北方物流有限公司",
        "91210100MA0ABC3D4E",
        "沈阳市",
        "202509",
        "202511",
        "2026/11/29 17:45:30",
    ),
    (
        4,
        "2104000654",
        "110",
        "抚顺新材料科技有限公司",
        "91210400MA0QRS5T6U",
        "抚顺市",
        "202411",
        "202411",
        "2026/11/30 01:59:59",
    ),
]
CITY = {"抚顺市": "2104", "沈阳市": "2101"}


def pension() -> None:
    out = HERE / "pension"
    (out / "canonical" / "registries").mkdir(parents=True, exist_ok=True)
    bureau = io.StringIO(newline="")
    w = csv.writer(bureau, lineterminator="\r\n")
    w.writerow(["养老保险个人缴费明细（导出）"])
    w.writerow(["导出单位：抚顺市社会保险事业服务中心", "导出时间：2026-11-30 02:00:00"])
    w.writerow(
        [
            "个人编号",
            "公民身份号码",
            "姓名",
            "险种类型",
            "单位名称",
            "统一社会信用代码",
            "参保地",
            "缴费起始年月",
            "缴费终止年月",
            "更新时间",
        ]
    )
    canon = io.StringIO(newline="")
    c = csv.writer(canon, lineterminator="\n")
    c.writerow(
        [
            "record_key",
            "id_number",
            "name",
            "scheme",
            "employer_name",
            "employer_credit_code",
            "city_code",
            "month_from",
            "month_to",
            "updated_at",
        ]
    )
    for person, no, scheme, employer, code, city, start, end, updated in PENSION:
        w.writerow(
            [no, TYPED[person], P[person][1], scheme, employer, code, city, start, end, updated]
        )
        c.writerow(
            [
                f"{no}-{scheme}-{start}",
                TYPED[person],
                P[person][1],
                SCHEME[scheme],
                employer,
                code,
                CITY[city],
                f"{start[:4]}-{start[4:]}-01",
                f"{end[:4]}-{end[4:]}-01",
                updated.replace("/", "-"),
            ]
        )
    (out / "养老保险缴费明细_20261130.csv").write_bytes(bureau.getvalue().encode("gb18030"))
    (out / "canonical" / "registries" / "pension_contributions.csv").write_text(
        canon.getvalue(), encoding="utf-8"
    )


# ------------------------------------------------------ business licences (市场监管)
ROLE = {
    "经营者": "operator",
    "法定代表人": "legal_representative",
    "股东": "investor",
    "监事": "supervisor",
}
KIND = {"个体工商户": "个体工商户", "有限责任公司（自然人独资）": "企业", "有限责任公司": "企业"}
STATUS = {"存续": "active", "在业": "active", "注销": "deregistered", "吊销": "revoked"}
LICENCES = [  # record, person, entity, credit code, kind, role, established, status, closed
    (
        "SC2104-000001",
        0,
        "望花区海燕百货店",
        "92210404MA0XA1B2C3",
        "个体工商户",
        "经营者",
        dt.date(2024, 3, 18),
        "存续",
        None,
    ),
    (
        "SC2104-000002",
        1,
        "抚顺志强商贸有限公司",
        "91210400MA0XB2C3D4",
        "有限责任公司（自然人独资）",
        "法定代表人",
        dt.date(2023, 9, 1),
        "注销",
        dt.date(2025, 6, 30),
    ),
    (
        "SC2104-000003",
        2,
        "抚顺丽人美容有限公司",
        "91210400MA0XC3D4E5",
        "有限责任公司",
        "监事",
        dt.date(2022, 5, 20),
        "存续",
        None,
    ),
    (
        "SC2104-000004",
        3,
        "抚顺卫东科技有限公司",
        "91210400MA0XD4E5F6",
        "有限责任公司",
        "股东",
        dt.date(2025, 10, 8),
        "在业",
        None,
    ),
    (
        "SC2104-000005",
        4,
        "抚顺晓梅文化传媒有限公司",
        "91210400MA0XE5F6G7",
        "有限责任公司",
        "执行董事",
        dt.date(2025, 1, 2),
        "吊销",
        dt.date(2026, 2, 1),
    ),
]


def licences() -> None:
    import xlsxwriter

    out = HERE / "licences"
    (out / "canonical" / "registries").mkdir(parents=True, exist_ok=True)
    path = out / "市场主体登记人员信息_20261130.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("人员信息")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, 9, "市场主体登记人员信息（抚顺市市场监督管理局 导出）")
    header = [
        "记录编号",
        "主体名称",
        "统一社会信用代码",
        "主体类型",
        "人员姓名",
        "证件号码",
        "职务",
        "成立日期",
        "登记状态",
        "注销（吊销）日期",
    ]
    sheet.write_row(1, 0, header)
    canon = io.StringIO(newline="")
    c = csv.writer(canon, lineterminator="\n")
    c.writerow(
        [
            "record_key",
            "id_number",
            "name",
            "role",
            "entity_name",
            "credit_code",
            "entity_type",
            "established_on",
            "status",
            "deregistered_on",
            "updated_at",
        ]
    )
    for r, (key, person, entity, code, kind, role, founded, status, closed) in enumerate(
        LICENCES, start=2
    ):
        sheet.write_row(r, 0, [key, entity, code, kind, P[person][1], TYPED[person], role])
        if r % 2:  # a real date cell, or the text an older export writes
            sheet.write_datetime(r, 7, dt.datetime.combine(founded, dt.time()), day)
        else:
            sheet.write_string(r, 7, f"{founded:%Y年%m月%d日}")
        sheet.write_string(r, 8, status)
        if closed:
            sheet.write_datetime(r, 9, dt.datetime.combine(closed, dt.time()), day)
        c.writerow(
            [
                key,
                TYPED[person],
                P[person][1],
                ROLE.get(role, role),
                entity,
                code,
                KIND[kind],
                founded.isoformat(),
                STATUS[status],
                closed.isoformat() if closed else "",
                "",
            ]
        )
    book.close()
    (out / "canonical" / "registries" / "business_licences.csv").write_text(
        canon.getvalue(), encoding="utf-8"
    )


if __name__ == "__main__":
    pension()
    licences()

"""Policies as data: strict loading, clauses, jurisdictions and effective dates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from crosscheck import policy
from crosscheck.errors import PolicyError
from crosscheck.policy.loader import policy_dir
from crosscheck.rules import RULES, Severity

D = dt.date.fromisoformat
SEEDS_DIR = Path(__file__).resolve().parents[1] / "data" / "seeds"  # the notices' texts
SHARED = Path(__file__).resolve().parents[2] / "shared"  # the team's shared/, beside the clone
REPO_DOCS = Path(__file__).resolve().parents[1] / "docs"
BUNDLED = sorted(policy_dir().glob("*.yaml"))
SEEDS = {
    "shenyang-2022": "000",
    "fushun-2023": "001",
    "liaoning-online-2023": "002",
    "zhengning-2022": "003",
    "sichuan-2025": "004",
}


def test_the_five_policies_load() -> None:
    assert set(policy.load_all()) == set(SEEDS)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_value_cites_a_clause_of_its_own_seed(path: Path) -> None:
    loaded = policy.load_file(path)
    seed = SEEDS[loaded.id]
    assert loaded.seed.startswith(seed + "_")
    assert (SEEDS_DIR / loaded.seed).is_file()
    for name, param in loaded.parameters():
        assert param.source.startswith(seed + " "), f"{loaded.id} {name}: {param.source}"
    for code, setting in loaded.rules.items():
        assert setting.source.startswith(seed + " "), f"{loaded.id} {code}: {setting.source}"


def test_policy_thresholds_from_the_notices() -> None:
    shenyang, fushun = policy.get("shenyang-2022"), policy.get("fushun-2023")
    online, zhengning = policy.get("liaoning-online-2023"), policy.get("zhengning-2022")
    sichuan = policy.get("sichuan-2025")
    assert fushun.class_rules.max_trainees
    assert fushun.class_rules.max_trainees.value == 50
    assert fushun.class_rules.max_trainees.overridable
    assert shenyang.class_rules.opening_days_of_month
    assert shenyang.class_rules.opening_days_of_month.value == [1, 16]
    assert fushun.class_rules.opening_days_of_month is None
    assert fushun.payout.rates_yuan_per_month
    assert fushun.payout.rates_yuan_per_month.value["special_ability"] == 1500
    assert fushun.attendance.class_check_deduction
    assert str(fushun.attendance.class_check_deduction.value) == "0.02"
    assert online.class_rules.max_online_share_practical
    assert str(online.class_rules.max_online_share_practical.value) == "0.50"
    assert zhengning.class_rules.min_total_hours_by_category
    assert zhengning.class_rules.min_total_hours_by_category.value["B"] == 96
    assert sichuan.payout.assessment_share_min
    assert str(sichuan.payout.assessment_share_min.value) == "0.20"


def test_the_same_rule_differs_by_place() -> None:
    shenyang, fushun = policy.get("shenyang-2022"), policy.get("fushun-2023")
    assert shenyang.rules["PRIOR_BUSINESS"].severity is Severity.REVIEW
    assert fushun.rules["PRIOR_BUSINESS"].severity is Severity.BLOCK
    assert shenyang.rules["OWN_GRADUATE"].severity is Severity.BLOCK
    assert fushun.rules["OWN_GRADUATE"].severity is Severity.RATE


@pytest.mark.parametrize(
    ("region", "day", "expected"),
    [
        ("210402", "2023-12-21", ["liaoning-online-2023"]),  # the day before Fushun's notice
        ("210402", "2023-12-22", ["fushun-2023", "liaoning-online-2023"]),
        ("210402", "2025-12-31", ["fushun-2023", "liaoning-online-2023"]),  # programme's last day
        ("210402", "2026-01-01", ["liaoning-online-2023"]),
        ("210102", "2022-12-31", ["shenyang-2022"]),  # provincial online rules not yet
        ("210102", "2023-01-01", ["liaoning-online-2023"]),
        ("621025", "2022-06-01", ["zhengning-2022"]),
        ("621026", "2022-06-01", []),  # next county
        ("510104", "2025-07-20", []),
        ("510104", "2025-07-21", ["sichuan-2025"]),
    ],
)
def test_in_force(region: str, day: str, expected: list[str]) -> None:
    assert [p.id for p in policy.in_force(region, D(day))] == expected


def _write(tmp_path: Path, data: dict[str, object], name: str = "fushun-2023") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _fushun() -> dict[str, object]:
    data = yaml.safe_load((policy_dir() / "fushun-2023.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_a_misspelled_key_names_file_and_key_with_a_suggestion(tmp_path: Path) -> None:
    data = _fushun()
    rules = data["class_rules"]
    assert isinstance(rules, dict)
    rules["max_trainee"] = rules.pop("max_trainees")
    path = _write(tmp_path, data)
    with pytest.raises(PolicyError) as info:
        policy.load_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "未知字段 class_rules.max_trainee" in message
    assert "max_trainees" in message


def test_a_misspelled_key_inside_a_parameter(tmp_path: Path) -> None:
    data = _fushun()
    rules = data["class_rules"]
    assert isinstance(rules, dict)
    rules["max_trainees"]["sourse"] = rules["max_trainees"].pop("source")
    with pytest.raises(PolicyError, match=re.escape("class_rules.max_trainees.sourse")) as info:
        policy.load_file(_write(tmp_path, data))
    assert "“source”" in str(info.value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["rules"].update({"NOT_A_RULE": {"severity": "block", "source": "001 x"}}),
            "NOT_A_RULE",
        ),
        (lambda d: d["rules"]["CLASS_TOO_LARGE"].update({"severity": "blocker"}), "severity"),
        (lambda d: d["class_rules"]["max_trainees"].update({"value": "fifty"}), "max_trainees"),
        (lambda d: d["effective"].update({"to": "2020-01-01"}), "effective"),
        (lambda d: d["jurisdiction"].update({"city": "2204"}), "jurisdiction"),
        (lambda d: d.pop("seed"), "缺少必填字段 seed"),
    ],
)
def test_invalid_values_are_rejected(tmp_path: Path, mutate: object, message: str) -> None:
    data = _fushun()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(PolicyError, match=re.escape(message)):
        policy.load_file(_write(tmp_path, data))


def test_the_id_must_match_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="文件名"):
        policy.load_file(_write(tmp_path, _fushun(), name="fushun-2024"))


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("id: [\n", encoding="utf-8")
    with pytest.raises(PolicyError, match="YAML"):
        policy.load_file(path)
    with pytest.raises(PolicyError, match="策略文件不存在"):
        policy.load_file(tmp_path / "missing.yaml")


def test_unknown_policy_id_suggests_the_nearest() -> None:
    with pytest.raises(PolicyError, match="fushun-2023"):
        policy.get("fushun-2022")


def test_version_changes_with_the_file(tmp_path: Path) -> None:
    data = _fushun()
    first = policy.load_file(_write(tmp_path, data)).version
    data["summary"] = "changed"
    second = policy.load_file(_write(tmp_path, data)).version
    assert len(first) == 12
    assert first != second


def _plain(text: str) -> str:
    """A notice's text as quotations are compared with it: simplified characters, no
    whitespace or markdown escapes, full-width punctuation."""
    import opencc

    text = opencc.OpenCC("t2s").convert(text).replace("\\", "")
    text = re.sub(r"\s+", "", text)
    return text.translate(str.maketrans(",():;", "，（）：；"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_quotation_is_in_the_notice(path: Path) -> None:
    """A citation quotes its notice verbatim (“…” marks words left out)."""
    loaded = policy.load_file(path)
    notice = _plain((SEEDS_DIR / loaded.seed).read_text(encoding="utf-8"))
    sources = [p.source for _, p in loaded.parameters()] + [loaded.effective.source]
    sources += [r.source for r in loaded.rules.values()]
    quotes = [q for source in sources for q in re.findall(r"“([^”]+)”", source)]
    assert quotes
    missing = [
        q for q in quotes if not all(_plain(part) in notice for part in q.split("…") if part)
    ]
    assert not missing, f"{loaded.id}: not in {loaded.seed}: {missing}"


def test_the_notices_are_the_ones_received() -> None:
    import hashlib

    sums = (SEEDS_DIR / "SHA256SUMS").read_text(encoding="utf-8").split("\n")
    pairs = [line.split() for line in sums if line.strip()]
    assert {name for _, name in pairs} == {p.name for p in SEEDS_DIR.glob("*.txt")}
    for digest, name in pairs:
        assert hashlib.sha256((SEEDS_DIR / name).read_bytes()).hexdigest() == digest, name


def test_rule_catalogue_is_policy_md_s() -> None:
    """The rule codes are POLICY.md's — the copy in docs/ (a clone on its own has no
    ../shared), which must be the team's specification itself where it is beside."""
    text = (REPO_DOCS / "POLICY.md").read_text(encoding="utf-8")
    if (SHARED / "POLICY.md").is_file():
        assert text == (SHARED / "POLICY.md").read_text(encoding="utf-8"), (
            "docs/POLICY.md differs from ../shared/POLICY.md: copy the specification again"
        )
    codes = set(re.findall(r"`([A-Z][A-Z_]{4,})`", text))
    assert codes == set(RULES)

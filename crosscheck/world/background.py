"""The background population: everyone in the registries who is not a trainee.

Generated in chunks of at most a million people, each from its own child of the
world's seed, and streamed to the registry files, so that the ``province``
scale (ten million people) fits in a few GiB. Background people never share an
ID number with a trainee: their sequence numbers are 000–899, trainees' are
900–999.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from crosscheck import regions
from crosscheck.world import reference
from crosscheck.world.ids import credit_codes, id_numbers

BACKGROUND_SEQ_LIMIT = 900
PROGRAMMES = ["graduate_conversion", "employment_skills", "entrepreneurship"]
SCHEMES = ["城镇企业职工基本养老保险", "机关事业单位养老保险"]


@dataclass
class Population:
    """State carried from chunk to chunk."""

    as_of: dt.date
    liaoning_share: float
    counts: pl.DataFrame  # (key, n): people already given each region+birth date
    keys: dict[str, int]  # record-key counters per registry

    @classmethod
    def start(cls, as_of: dt.date, liaoning_share: float) -> Population:
        empty = pl.DataFrame(schema={"key": pl.Int64, "n": pl.Int64})
        return cls(as_of, liaoning_share, empty, {})


def _keys(prefix: str, start: int, n: int) -> pl.Series:
    numbers = pl.Series("k", np.arange(start, start + n, dtype=np.int64)).cast(pl.String)
    return pl.select(pl.lit(prefix) + numbers.str.zfill(10)).to_series()


def names(rng: np.random.Generator, n: int) -> pl.Series:
    """Surname by frequency, then one or two given-name characters (rarely a rare one)."""
    surnames, probs = reference.surnames()
    chars = list(reference.GIVEN_CHARS)
    first = pl.Series(surnames).gather(rng.choice(len(surnames), size=n, p=probs))
    g1 = pl.Series(chars).gather(rng.integers(0, len(chars), n))
    g2 = pl.Series(chars).gather(rng.integers(0, len(chars), n))
    two = pl.Series(rng.random(n) < 0.7)
    rare = pl.Series(list(reference.RARE_CHARS)).gather(
        rng.integers(0, len(reference.RARE_CHARS), n)
    )
    use_rare = pl.Series(rng.random(n) < 0.001)
    frame = pl.DataFrame({"a": first, "b": g1, "c": g2, "two": two, "r": rare, "ur": use_rare})
    return frame.select(
        pl.col("a")
        + pl.when(pl.col("ur")).then(pl.col("r")).otherwise(pl.col("b"))
        + pl.when(pl.col("two")).then(pl.col("c")).otherwise(pl.lit(""))
    ).to_series()


def _dates(rng: np.random.Generator, lo: dt.date, hi: dt.date, n: int) -> np.ndarray:
    span = (hi - lo).days
    return np.datetime64(lo, "D") + rng.integers(0, max(span, 1), n)


def _ts(days: np.ndarray, rng: np.random.Generator) -> pl.Series:
    seconds = rng.integers(8 * 3600, 20 * 3600, len(days))
    stamps = days.astype("datetime64[us]") + (seconds * 1_000_000).astype("timedelta64[us]")
    return pl.Series(stamps).cast(pl.Datetime("us"))


def _regions(rng: np.random.Generator, n: int, liaoning_share: float) -> np.ndarray:
    home = np.array(regions.counties("21"), dtype=np.int64)
    away = np.array(
        [c for p in reference.OTHER_PROVINCES for c in regions.counties(p)], dtype=np.int64
    )
    local = rng.random(n) < liaoning_share
    return np.where(local, home[rng.integers(0, len(home), n)], away[rng.integers(0, len(away), n)])


def people(rng: np.random.Generator, n: int, pop: Population) -> pl.DataFrame:
    """One chunk of background people with unique ID numbers."""
    region = _regions(rng, n, pop.liaoning_share)
    birth = _dates(rng, dt.date(1960, 1, 1), dt.date(2008, 12, 31), n)
    key = region * 100_000 + (birth - np.datetime64("1900-01-01")).astype(np.int64)
    frame = pl.DataFrame({"key": key}).with_columns(rank=pl.int_range(pl.len()).over("key"))
    frame = frame.join(pop.counts, on="key", how="left", maintain_order="left")
    seq = (frame["rank"] + frame["n"].fill_null(0)).to_numpy()
    if seq.max(initial=0) >= BACKGROUND_SEQ_LIMIT:
        raise RuntimeError("background sequence numbers exhausted for one region and birth date")
    pop.counts = (
        pl.concat([pop.counts, frame.group_by("key").agg(n=pl.len().cast(pl.Int64))])
        .group_by("key")
        .agg(pl.col("n").sum())
        .sort("key")
    )
    return pl.DataFrame(
        {
            "id_number": id_numbers(region, birth, seq),
            "name": names(rng, n),
            "region": region,
            "birth": pl.Series(birth).cast(pl.Date),
        }
    )


def chunk_tables(
    rng: np.random.Generator, persons: pl.DataFrame, pop: Population
) -> dict[str, pl.DataFrame]:
    """The registry rows for one chunk of background people."""
    n = persons.height
    as_of = pop.as_of
    ids, nm = persons["id_number"], persons["name"]
    region = persons["region"].to_numpy()
    birth = persons["birth"].to_numpy().astype("datetime64[D]")
    age_days = (np.datetime64(as_of, "D") - birth).astype(np.int64)
    tables: dict[str, pl.DataFrame] = {}

    # household registration: everyone; 5% registered elsewhere than their ID's region
    moved = rng.random(n) < 0.05
    hukou = np.where(moved, _regions(rng, n, pop.liaoning_share), region)
    tables["household_registration"] = pl.DataFrame(
        {
            "id_number": ids,
            "name": nm,
            "province_code": pl.Series(hukou // 10_000).cast(pl.String),
            "city_code": pl.Series(hukou // 100).cast(pl.String),
            "county_code": pl.Series(hukou).cast(pl.String),
            "updated_at": _ts(_dates(rng, dt.date(2015, 1, 1), as_of, n), rng),
        }
    )

    # student status: ~30% of people, graduating at 21-23
    idx = np.flatnonzero((rng.random(n) < 0.31) & (birth >= np.datetime64("1972-01-01")))
    m = len(idx)
    schools = reference.SCHOOLS
    pick = rng.integers(0, len(schools), m)
    years = (birth[idx].astype("datetime64[Y]").astype(np.int64) + 1970) + rng.integers(21, 24, m)
    graduated = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]") + 180  # ~30 June
    enrolled = (years - 1970 - 4).astype("datetime64[Y]").astype("datetime64[D]") + 243  # ~1 Sept
    expected = graduated > np.datetime64(as_of, "D")
    tables["student_status"] = pl.DataFrame(
        {
            "record_key": _keys("STU", pop.keys.get("STU", 0), m),
            "id_number": ids.gather(idx),
            "name": nm.gather(idx),
            "school_name": [schools[i].name for i in pick],
            "school_code": [schools[i].code for i in pick],
            "school_province": [schools[i].province for i in pick],
            "level": [schools[i].level for i in pick],
            "study_mode": np.where(rng.random(m) < 0.92, "全日制", "非全日制"),
            "enrolled_on": pl.Series(enrolled).cast(pl.Date),
            "graduated_on": pl.Series(graduated).cast(pl.Date),
            "graduation_expected": expected,
            "status": np.where(expected, "enrolled", "graduated"),
            "updated_at": _ts(np.minimum(graduated, np.datetime64(as_of, "D")), rng),
        }
    )
    pop.keys["STU"] = pop.keys.get("STU", 0) + m

    # pension contributions: working-age people, 1-3 spells each (~12 per 10 people)
    adult = age_days > 20 * 365
    spells = np.where(adult & (rng.random(n) < 0.62), rng.integers(1, 4, n), 0)
    owner = np.repeat(np.arange(n), spells)
    k = len(owner)
    earliest = np.maximum(birth[owner] + 20 * 365, np.datetime64("2005-01-01"))
    span = np.maximum((np.datetime64(as_of, "D") - earliest).astype(np.int64), 1)
    start = earliest + (rng.random(k) * span).astype(np.int64)
    start_m = start.astype("datetime64[M]")
    end_m = np.minimum(
        start_m + rng.integers(0, 120, k), np.datetime64(as_of, "D").astype("datetime64[M]")
    )
    employers = _employer_pool(rng, 5_000 + n // 50)
    pick = rng.integers(0, employers.height, k)
    tables["pension_contributions"] = pl.DataFrame(
        {
            "record_key": _keys("PEN", pop.keys.get("PEN", 0), k),
            "id_number": ids.gather(owner),
            "name": nm.gather(owner),
            "scheme": np.where(rng.random(k) < 0.92, SCHEMES[0], SCHEMES[1]),
            "employer_name": employers["name"].gather(pick),
            "employer_credit_code": employers["credit_code"].gather(pick),
            "city_code": pl.Series(region[owner] // 100).cast(pl.String),
            "month_from": pl.Series(start_m.astype("datetime64[D]")).cast(pl.Date),
            "month_to": pl.Series(end_m.astype("datetime64[D]")).cast(pl.Date),
            "updated_at": _ts(
                np.minimum(end_m.astype("datetime64[D]") + 20, np.datetime64(as_of, "D")), rng
            ),
        }
    )
    pop.keys["PEN"] = pop.keys.get("PEN", 0) + k

    # business licences: ~0.3 rows per person
    owner = np.flatnonzero(adult & (rng.random(n) < 0.3))
    k = len(owner)
    role = rng.choice(["operator", "legal_representative", "investor"], size=k, p=[0.5, 0.3, 0.2])
    est = np.maximum(birth[owner] + 20 * 365, np.datetime64("2000-01-01"))
    est = est + (
        rng.random(k) * np.maximum((np.datetime64(as_of, "D") - est).astype(np.int64), 1)
    ).astype(np.int64)
    dereg = rng.random(k) < 0.3
    dereg_on = est + rng.integers(30, 3000, k)
    dereg = dereg & (dereg_on <= np.datetime64(as_of, "D"))
    words = np.array(reference.EMPLOYER_WORDS)
    shops = np.array(reference.SHOP_KINDS)
    kinds = np.array(reference.EMPLOYER_KINDS)
    entity = np.where(
        role == "operator",
        np.char.add(words[rng.integers(0, len(words), k)], shops[rng.integers(0, len(shops), k)]),
        np.char.add(words[rng.integers(0, len(words), k)], kinds[rng.integers(0, len(kinds), k)]),
    )
    tables["business_licences"] = pl.DataFrame(
        {
            "record_key": _keys("LIC", pop.keys.get("LIC", 0), k),
            "id_number": ids.gather(owner),
            "name": nm.gather(owner),
            "role": role,
            "entity_name": entity,
            "credit_code": credit_codes(rng, region[owner] if k else np.zeros(0, np.int64), "92"),
            "entity_type": np.where(role == "operator", "个体工商户", "企业"),
            "established_on": pl.Series(est).cast(pl.Date),
            "status": np.where(dereg, "deregistered", "active"),
            "deregistered_on": pl.Series(np.where(dereg, dereg_on, np.datetime64("NaT"))).cast(
                pl.Date
            ),
            "updated_at": _ts(np.where(dereg, dereg_on, est), rng),
        }
    )
    pop.keys["LIC"] = pop.keys.get("LIC", 0) + k

    # other cities' and provinces' training records: ~0.2 per person
    owner = np.flatnonzero((age_days > 18 * 365) & (rng.random(n) < 0.2))
    k = len(owner)
    local = rng.random(k) < 0.7
    cities = np.array([int(c) for c in reference.LIAONING_CITIES], dtype=np.int64)
    away = np.array([int(p) * 100 + 1 for p in reference.OTHER_PROVINCES], dtype=np.int64)
    where = np.where(
        local, cities[rng.integers(0, len(cities), k)], away[rng.integers(0, len(away), k)]
    )
    start = _dates(rng, dt.date(2019, 1, 1), as_of, k)
    end = start + rng.integers(30, 183, k)
    status = np.where(
        end > np.datetime64(as_of, "D"),
        "enrolled",
        np.where(rng.random(k) < 0.1, "dropped", "completed"),
    )
    subsidised = rng.random(k) < 0.8
    paid = subsidised & (status == "completed")
    tables["training_records"] = pl.DataFrame(
        {
            "record_key": _keys("TRN", pop.keys.get("TRN", 0), k),
            "id_number": ids.gather(owner),
            "name": nm.gather(owner),
            "region_code": pl.Series(where * 100).cast(pl.String),
            "institution": np.char.add(words[rng.integers(0, len(words), k)], "职业培训学校"),
            "programme": np.array(PROGRAMMES)[rng.integers(0, 3, k)],
            "class_ref": _keys("X", pop.keys.get("TRN", 0), k),
            "start_date": pl.Series(start).cast(pl.Date),
            "end_date": pl.Series(end).cast(pl.Date),
            "status": status,
            "subsidised": subsidised,
            "subsidy_fen": np.where(
                paid, rng.choice([150000, 200000], k) * rng.integers(3, 7, k), 0
            ),
            "subsidy_paid_on": pl.Series(np.where(paid, end + 45, np.datetime64("NaT"))).cast(
                pl.Date
            ),
            "updated_at": _ts(np.minimum(end, np.datetime64(as_of, "D")), rng),
        }
    ).with_columns(
        pl.when(pl.col("subsidy_paid_on") > as_of)
        .then(None)
        .otherwise(pl.col("subsidy_paid_on"))
        .alias("subsidy_paid_on")
    )
    pop.keys["TRN"] = pop.keys.get("TRN", 0) + k

    # dishonesty list: a few people in a thousand
    owner = np.flatnonzero(rng.random(n) < 0.0005)
    k = len(owner)
    listed = _dates(rng, dt.date(2018, 1, 1), as_of, k)
    tables["dishonesty_list"] = pl.DataFrame(
        {
            "record_key": _keys("DIS", pop.keys.get("DIS", 0), k),
            "subject_type": ["person"] * k,
            "id_number": ids.gather(owner),
            "credit_code": pl.Series([None] * k, dtype=pl.String),
            "reason": ["套取培训补贴"] * k,
            "listed_from": pl.Series(listed).cast(pl.Date),
            "listed_to": pl.Series(listed + 3 * 365).cast(pl.Date),
            "updated_at": _ts(listed, rng),
        }
    )
    pop.keys["DIS"] = pop.keys.get("DIS", 0) + k
    return tables


def _employer_pool(rng: np.random.Generator, n: int) -> pl.DataFrame:
    words = np.array(reference.EMPLOYER_WORDS)
    kinds = np.array(reference.EMPLOYER_KINDS)
    cities = np.array([int(c) * 100 for c in reference.LIAONING_CITIES], dtype=np.int64)
    name = np.char.add(
        np.char.add(words[rng.integers(0, len(words), n)], words[rng.integers(0, len(words), n)]),
        kinds[rng.integers(0, len(kinds), n)],
    )
    return pl.DataFrame(
        {"name": name, "credit_code": credit_codes(rng, cities[rng.integers(0, len(cities), n)])}
    )

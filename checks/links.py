"""Identity resolution: which registry records are a trainee's (POLICY.md
readings 2, 3 and 9), decided once per run and read by every rule.

For each person-keyed registry a temp table ``_l_<registry>`` holds the records
linked to each trainee of the classes in scope — ``class_id``, ``person`` (the
trainee's normalised number), ``link`` and ``fuzzy``, then the record's own
columns:

* ``exact`` — the record holds the trainee's number;
* ``normalised`` — the same, once the roster's or the registry's text was
  normalised (NFKC, whitespace removed, upper case: reading 2);
* ``fuzzy_swap`` / ``fuzzy_digit`` — reading 9: the record's number has a typo in
  the sequence digits (16–18th characters: one adjacent swap or one wrong digit)
  and otherwise the trainee's region, birth date and check character, and the
  record's name is the trainee's. Such a number is never valid (the check
  character would differ), so a valid number always stays its own person's.
  No fuzzy link is made for a trainee who has a namesake — another person, in the
  household register or on a roster, with the same name, region and birth date:
  the typo could be either's.

A finding that rests only on fuzzy links is a review (the rules say
``bool_and(fuzzy)``). Household records and the dishonesty list link exactly only:
the first defines the person, the second holds no name to confirm a typo.
"""

from __future__ import annotations

import duckdb

from crosscheck.checks import adapter

# the columns the rules read from each registry (a lookup by index fetches each row's
# columns one by one: fewer columns, a faster check)
COLUMNS = {
    "household_registration": "id_number, name, province_code, city_code, county_code",
    "student_status": "record_key, id_number, name, school_name, school_code, school_province, "
    "level, study_mode, enrolled_on, graduated_on, status",
    "pension_contributions": "record_key, id_number, name, scheme, employer_name, month_from, "
    "month_to",
    "business_licences": "record_key, id_number, name, role, entity_name, entity_type, "
    "established_on, status, deregistered_on",
    "training_records": "record_key, id_number, name, region_code, institution, programme, "
    "start_date, end_date, status, subsidised, subsidy_fen, subsidy_paid_on",
    "dishonesty_list": "record_key, id_number, subject_type, reason, listed_from, listed_to",
}
# registry -> (linked table, fuzzy links allowed, the record's key column)
REGISTRIES = {
    "household_registration": ("_l_household", False, "id_number"),
    "student_status": ("_l_student", True, "record_key"),
    "pension_contributions": ("_l_pension", True, "record_key"),
    "business_licences": ("_l_licences", True, "record_key"),
    "training_records": ("_l_training", True, "record_key"),
    "dishonesty_list": ("_l_dishonesty", False, "record_key"),
}
TRAINEES = "_trainees"
# whitespace and the middle dots of minority names: what a name's letters are compared
# without before the full comparison (crosscheck.names: NFKC, t2s, one dot)
_NOISE = (
    r"[\s\x{3000}\x{00B7}\x{2022}\x{2027}\x{30FB}\x{22C5}\x{2219}.\x{3002}\x{FE52}\x{16EB}\x{2010}]"
)


def plain(name: str) -> str:
    """SQL: a name without whitespace or middle dots — equal for two names that
    ``name_level`` calls exact, except compatibility forms (full-width letters),
    which a prefilter may miss and the full comparison never sees."""
    return f"regexp_replace(coalesce({name}, ''), '{_NOISE}', '', 'g')"


def typo(record: str, person: str) -> str:
    """SQL: the kind of reading-9 typo that turns ``person`` into ``record`` — a
    ``fuzzy_swap``, a ``fuzzy_digit``, or null. Both are 18-character numbers of the
    same block (the caller joins on it)."""

    def r(at: int, n: int = 1) -> str:
        return f"substr({record}, {at}, {n})"

    def p(at: int, n: int = 1) -> str:
        return f"substr({person}, {at}, {n})"

    return f"""(CASE WHEN length({record}) = 18 AND {record} <> {person}
            AND {r(18)} = {p(18)} AND regexp_full_match({r(15, 3)}, '[0-9]{{3}}')
        THEN CASE
            WHEN hamming({r(15, 3)}, {p(15, 3)}) = 1 THEN 'fuzzy_digit'
            WHEN {r(15)} = {p(16)} AND {r(16)} = {p(15)} AND {r(17)} = {p(17)}
                THEN 'fuzzy_swap'
            WHEN {r(15)} = {p(15)} AND {r(16)} = {p(17)} AND {r(17)} = {p(16)}
                THEN 'fuzzy_swap' END END)"""


# Above this many blocks, one scan with a semi-join beats index lookups.
MAX_LOOKUPS = 3000


def literals(values: list[str]) -> str:
    """An SQL IN list of string literals (DuckDB uses an ART index for a literal IN
    list, not for a parameter list or a subquery)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def setup(con: duckdb.DuckDBPyConnection) -> None:
    """Build ``_trainees``, ``_namesakes`` and every ``_l_<registry>`` for the roster
    rows in ``_roster`` (valid numbers only: an invalid one gets ``ID_INVALID`` only).

    Each registry is read once, by block (region and birth date, the first 14
    characters, stored as ``id_block``): the block holds the trainee's own records,
    the records whose number has a typo in the sequence digits, and the namesakes.
    For a few classes the blocks are a literal list, which DuckDB serves from the ART
    index on ``id_block`` (a few hundred rows read instead of millions); for many, a
    semi-join reads the registry once."""
    adapter.run(
        con,
        "links: trainees",
        f"""
        CREATE OR REPLACE TEMP TABLE {TRAINEES} AS
        SELECT class_id, id_number, min(name) AS roster_name,
               bool_or(coalesce(id_number_raw, id_number) <> id_number) AS typed_loosely
        FROM _roster WHERE id_ok GROUP BY class_id, id_number""",
    )
    blocks = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT substr(id_number, 1, 14) FROM {TRAINEES} ORDER BY 1"
        ).fetchall()
    ]
    if not blocks:
        in_blocks = "false"
    elif len(blocks) <= MAX_LOOKUPS:
        in_blocks = f"r.id_block IN ({literals(blocks)})"
    else:
        in_blocks = f"r.id_block IN (SELECT DISTINCT substr(id_number, 1, 14) FROM {TRAINEES})"
    # the household register's people of the trainees' blocks (namesakes, and the
    # trainees' own records below)
    adapter.run(
        con,
        "links: household blocks",
        f"""CREATE OR REPLACE TEMP TABLE _l_household_block AS
            SELECT {COLUMNS["household_registration"]}, id_number_raw, id_block
            FROM household_registration r WHERE {in_blocks}""",
    )
    # another person with the trainee's name in the same block forbids fuzzy links:
    # the household register's people, and the other trainees on the rosters in scope
    adapter.run(
        con,
        "links: namesakes",
        f"""
        CREATE OR REPLACE TEMP TABLE _namesakes AS
        SELECT DISTINCT t.id_number FROM {TRAINEES} t
        JOIN (SELECT r.id_number, r.id_block, r.name FROM _l_household_block r
              UNION ALL SELECT id_number, substr(id_number, 1, 14), roster_name
              FROM {TRAINEES}) o
          ON o.id_block = substr(t.id_number, 1, 14) AND o.id_number <> t.id_number
        -- the names' plain letters must agree before the full comparison (a Python
        -- function, run only for the few pairs that pass)
        WHERE {plain("o.name")} = {plain("t.roster_name")}
          AND name_level(o.name, t.roster_name) = 'exact'""",
    )
    for registry, (table, fuzzy, _) in REGISTRIES.items():
        source = (
            "_l_household_block"
            if registry == "household_registration"
            else f"(SELECT {COLUMNS[registry]}, id_number_raw, id_block FROM {registry} r "
            f"WHERE {in_blocks})"
        )
        link = (
            "CASE WHEN r.id_number = t.id_number THEN CASE WHEN t.typed_loosely OR "
            "r.id_number_raw IS NOT NULL THEN 'normalised' ELSE 'exact' END "
            f"ELSE {typo('r.id_number', 't.id_number')} END"
        )
        if fuzzy:
            # CASE: the name comparison (Python) runs only for the typo candidates
            where = f"""r.id_number = t.id_number OR CASE
                WHEN {typo("r.id_number", "t.id_number")} IS NOT NULL
                     AND t.id_number NOT IN (SELECT id_number FROM _namesakes)
                THEN name_level(r.name, t.roster_name) = 'exact' ELSE false END"""
        else:
            where = "r.id_number = t.id_number"
        adapter.run(
            con,
            f"links: {registry}",
            # MATERIALIZED: the block lookup stays an index scan (joined on the ID
            # directly, DuckDB would scan the registry)
            f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            WITH r AS MATERIALIZED (SELECT * FROM {source} r)
            SELECT t.class_id, t.id_number AS person, {link} AS link,
                   r.id_number <> t.id_number AS fuzzy, r.*
            FROM {TRAINEES} t JOIN r ON r.id_block = substr(t.id_number, 1, 14)
            WHERE {where}""",
        )


def record(con: duckdb.DuckDBPyConnection, run_id: str, linked: str | None = None) -> None:
    """Rewrite ``links`` for the classes in scope: every linked record, how it was
    linked and the name comparison (or the rows of the table ``linked``, made by
    :func:`rows` elsewhere). Call inside the run's transaction."""
    con.execute("DELETE FROM links WHERE class_id IN (SELECT class_id FROM _scope)")
    if linked is not None:
        con.execute(f"INSERT INTO links SELECT * FROM {linked}")
        return
    adapter.run(con, "links: record", f"INSERT INTO links {rows()}", {"run": run_id})


def rows() -> str:
    """SQL (parameter ``$run``): the ``links`` rows of this run's ``_l_*`` tables."""
    parts = []
    for registry, (table, _, key) in REGISTRIES.items():
        # the dishonesty list holds no names
        level = (
            "NULL"
            if registry == "dishonesty_list"
            else "CASE WHEN l.name = t.roster_name THEN 'exact' "
            "ELSE name_level(l.name, t.roster_name) END"
        )
        parts.append(f"""
            SELECT l.class_id, l.person, '{registry}', CAST(l.{key} AS VARCHAR), l.id_number,
                   l.link, {level}, $run
            FROM {table} l JOIN {TRAINEES} t ON t.class_id = l.class_id
                 AND t.id_number = l.person""")
    return " UNION ALL ".join(parts)


# the open findings whose evidence cites each link's record (for the export)
CITED = """
    SELECT k.*, (SELECT string_agg(DISTINCT f.rule_code, ';' ORDER BY f.rule_code)
                 FROM findings f
                 WHERE f.class_id = k.class_id AND f.id_number = k.id_number
                   AND f.resolved_at IS NULL
                   AND contains(CAST(f.evidence AS VARCHAR), '"' || k.record_key || '"'))
               AS rules
    FROM links k"""

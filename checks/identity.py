"""Identity and roster rules — every stage (POLICY.md "Identity and roster",
readings 2–3).

Each builder selects finding rows ``(class_id, id_number, rule_code, match_level,
evidence, review)`` for the classes in ``_scope`` (their roster rows are in
``_roster``, with ``id_ok``; the registry records linked to each trainee are in
the ``_l_*`` tables of :mod:`checks.links`).
"""

from __future__ import annotations

from crosscheck.checks.links import REGISTRIES


def id_invalid() -> str:
    """ID_INVALID — the roster's number, once normalised, is not a valid GB 11643-1999
    number (000 §3(二)(三); 002 §4(二) 实名注册; 004 §(九))."""
    return """
        SELECT r.class_id, r.id_number, 'ID_INVALID' AS rule_code, NULL AS match_level,
               json_object('source', 'roster_entries', 'rows', list(r.seq ORDER BY r.seq),
                           'id_number_as_typed_masked', mask_id(any_value(r.id_number_raw)),
                           -- a '#<row>' placeholder with text beside it: Excel kept a number
                           'stored_as_number', starts_with(r.id_number, '#')
                               AND any_value(r.id_number_raw) IS NOT NULL)
                   AS evidence,
               false AS review
        FROM _roster r WHERE NOT r.id_ok GROUP BY r.class_id, r.id_number"""


def roster_duplicate() -> str:
    """ROSTER_DUPLICATE — the same normalised number twice in one roster, or in two
    rosters of one filing batch (000 §1(一): once a person)."""
    return """
        WITH mine AS (
            SELECT r.class_id, r.id_number, list(r.seq ORDER BY r.seq) AS rows,
                   any_value(c.filing_batch) AS batch
            FROM _roster r JOIN classes c USING (class_id)
            GROUP BY r.class_id, r.id_number),
        batched AS (
            SELECT m.class_id, m.id_number, list(DISTINCT o.class_id ORDER BY o.class_id) AS others
            FROM mine m JOIN classes oc ON oc.filing_batch = m.batch AND oc.class_id <> m.class_id
            JOIN (SELECT class_id, id_number FROM roster_entries
                  WHERE class_id IN (SELECT class_id FROM classes WHERE filing_batch IN
                                     (SELECT batch FROM mine WHERE batch IS NOT NULL))) o
              ON o.class_id = oc.class_id AND o.id_number = m.id_number
            GROUP BY m.class_id, m.id_number)
        SELECT class_id, id_number, 'ROSTER_DUPLICATE', NULL,
               json_object('source', 'roster_entries', 'rows', rows, 'batch', batch,
                           'classes', others), false
        FROM mine LEFT JOIN batched USING (class_id, id_number)
        WHERE len(rows) > 1 OR others IS NOT NULL"""


def _names() -> str:
    """Every name recorded under exactly the trainee's number, in every registry that
    holds names (the dishonesty list holds none)."""
    parts = [
        f"SELECT class_id, person, '{registry}' AS source, CAST({key} AS VARCHAR) AS key, name "
        f"FROM {table} WHERE NOT fuzzy AND name IS NOT NULL"
        for registry, (table, _, key) in REGISTRIES.items()
        if registry != "dishonesty_list"
    ]
    return " UNION ALL ".join(parts)


def id_name_mismatch() -> str:
    """ID_NAME_MISMATCH — the roster's name differs from a name recorded under that
    number in any registry (002 §4(二); 004 §(九); reading 3): near-identical names
    (traditional/simplified, same pinyin, same length ≥ 3 with one character
    different) are a review, others the policy's severity. Names are compared by
    ``name_level`` (crosscheck.names: characters, not bytes)."""
    return f"""
        SELECT class_id, id_number, 'ID_NAME_MISMATCH',
               CASE WHEN bool_or(level = 'different') THEN 'different' ELSE min(level) END,
               json_object('roster_name', any_value(roster_name),
                           'records', list(json_object('source', source, 'key', key,
                                                       'name', name, 'match_level', level)
                                           ORDER BY source, key)),
               false
        FROM (
            SELECT t.class_id, t.id_number, t.roster_name, n.source, n.key, n.name,
                   CASE WHEN n.name = t.roster_name THEN 'exact'
                        ELSE name_level(t.roster_name, n.name) END AS level
            FROM _trainees t JOIN ({_names()}) n
              ON n.class_id = t.class_id AND n.person = t.id_number)
        WHERE level <> 'exact'
        GROUP BY class_id, id_number"""


RULES = {
    "ID_INVALID": id_invalid,
    "ROSTER_DUPLICATE": roster_duplicate,
    "ID_NAME_MISMATCH": id_name_mismatch,
}
# A near-identical name is a review whatever the policy's severity (POLICY.md).
REVIEW_LEVELS = ("variant", "same_pinyin", "one_character")

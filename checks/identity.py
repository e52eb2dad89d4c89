"""Identity and roster rules — every stage (POLICY.md "Identity and roster").

Each builder returns SQL selecting finding rows
``(class_id, id_number, rule_code, match_level, evidence)`` for the classes in
``_scope`` (their roster rows are in ``_roster``, with ``id_ok``, built once per run
by the runner); the runner joins them to ``_class_rules`` for severity and policy.
"""

from __future__ import annotations


def id_invalid() -> str:
    """ID_INVALID — the roster's number is not a valid GB 11643-1999 number
    (000 §3(二)(三); 002 §4(二) 实名注册; 004 §(九))."""
    return """
        SELECT DISTINCT r.class_id, r.id_number, 'ID_INVALID' AS rule_code,
               NULL AS match_level,
               json_object('source', 'roster_entries', 'row', r.seq,
                           'id_number_as_typed_masked', mask_id(r.id_number_raw)) AS evidence,
               false AS review
        FROM _roster r WHERE NOT r.id_ok"""


def roster_duplicate() -> str:
    """ROSTER_DUPLICATE — the same person twice in one roster (000 §1(一): once a
    person). One finding per person; the second entry is the one blocked."""
    return """
        SELECT r.class_id, r.id_number, 'ROSTER_DUPLICATE' AS rule_code, NULL AS match_level,
               json_object('source', 'roster_entries', 'rows', list(r.seq ORDER BY r.seq))
                   AS evidence, false AS review
        FROM roster_entries r JOIN _scope USING (class_id)
        GROUP BY r.class_id, r.id_number
        HAVING count(*) > 1"""


def id_name_mismatch() -> str:
    """ID_NAME_MISMATCH — the roster's name differs from the household register's
    name for that number (002 §4(二); 004 §(九)); near-identical names (variant,
    same pinyin, one character) are a review, others the policy's severity.
    Names are compared by ``name_level`` (crosscheck.names: characters, not bytes)."""
    return """
        SELECT class_id, id_number, 'ID_NAME_MISMATCH' AS rule_code, level AS match_level,
               json_object('source', 'household_registration', 'key', id_number,
                           'roster_name', roster_name, 'registered_name', registered_name,
                           'match_level', level, 'provenance', extract) AS evidence,
               false AS review
        FROM (
            SELECT DISTINCT r.class_id, r.id_number, r.name AS roster_name,
                   r.registered_name, name_level(r.name, r.registered_name) AS level,
                   r.registered_extract AS extract
            FROM _roster r
            WHERE r.registered_name IS NOT NULL AND r.name IS DISTINCT FROM r.registered_name)
        WHERE level <> 'exact'"""


RULES = {
    "ID_INVALID": id_invalid,
    "ROSTER_DUPLICATE": roster_duplicate,
    "ID_NAME_MISMATCH": id_name_mismatch,
}
# A near-identical name is a review whatever the policy's severity (POLICY.md).
REVIEW_LEVELS = ("variant", "same_pinyin", "one_character")

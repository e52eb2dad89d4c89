-- 0009: decisions on findings (issue 15, first part).
--
-- An official decides on an open finding: 确认 (confirm: it stands), 驳回 (dismiss:
-- wrong on the facts, with the proof seen) or 准予例外 (override: only where the
-- policy says the limit is "原则上" — overridable — and always with a reason). Each
-- decision keeps who, when, the reason, the attachments' names and the finding's
-- evidence as it was. Append-only: a later decision supersedes, none is deleted.
--
-- `overrides` (never written by any command until now) becomes the view of the
-- decisions in force: a finding's latest decision is a dismissal or an override,
-- the finding is still open, and its evidence is what the official saw. When a
-- nightly run finds new evidence (a new record), the decision no longer applies
-- and the finding is open again; a confirmed finding simply stands.

CREATE SEQUENCE decision_seq START 1;

CREATE TABLE decisions (
    decision_id   BIGINT PRIMARY KEY DEFAULT nextval('decision_seq'),
    finding_id    VARCHAR NOT NULL,
    class_id      VARCHAR NOT NULL,
    id_number     VARCHAR,                    -- the trainee (NULL: the class)
    rule_code     VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN ('confirm', 'dismiss', 'override')),
    reason        VARCHAR,
    attachments   VARCHAR[],                  -- the names of the documents seen
    evidence      VARCHAR NOT NULL,           -- the finding's evidence (JSON) as decided on
    decided_by    VARCHAR NOT NULL,
    decided_at    TIMESTAMP NOT NULL
);

INSERT INTO decisions (finding_id, class_id, id_number, rule_code, kind, reason, attachments,
                       evidence, decided_by, decided_at)
SELECT o.finding_id, f.class_id, f.id_number, f.rule_code, 'override', o.reason, [],
       CAST(f.evidence AS VARCHAR), o.official, o.decided_at
FROM overrides o JOIN findings f USING (finding_id);

DROP TABLE overrides;

CREATE VIEW decisions_latest AS
SELECT d.*, CAST(f.evidence AS VARCHAR) <> d.evidence AS evidence_changed,
       f.resolved_at IS NOT NULL AS finding_resolved
FROM decisions d JOIN findings f USING (finding_id)
QUALIFY row_number() OVER (PARTITION BY d.finding_id ORDER BY d.decided_at DESC,
                                                                d.decision_id DESC) = 1;

CREATE VIEW overrides AS
SELECT finding_id, decided_by AS official, reason, decided_at, kind
FROM decisions_latest
WHERE kind IN ('dismiss', 'override') AND NOT evidence_changed AND NOT finding_resolved;

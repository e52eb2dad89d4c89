-- 0010: appeals (异议) and decisions made on the web (issue 15, second part).
--
-- An institution or a trainee disputes a finding (or a 公示 entry, which is a
-- finding's outcome). The appeal is recorded against the finding and reopens it
-- for a second reviewer — not the one whose decision is disputed; its outcome is
-- a decision like any other. While an appeal is open, a dismissal or override of
-- that finding is not in force and the trainee's payment is held.
--
-- The web service never writes the warehouse (the nightly run owns it): decisions
-- and appeals made there wait in the accounts store's inbox and are merged by the
-- next run; `inbox_id` says which entry a row came from (merged once).

ALTER TABLE decisions ADD COLUMN inbox_id VARCHAR;

CREATE SEQUENCE appeal_seq START 1;

CREATE TABLE appeals (
    appeal_id      BIGINT PRIMARY KEY DEFAULT nextval('appeal_seq'),
    finding_id     VARCHAR NOT NULL,
    class_id       VARCHAR NOT NULL,
    id_number      VARCHAR,                  -- the trainee (NULL: the class)
    rule_code      VARCHAR NOT NULL,
    party          VARCHAR NOT NULL CHECK (party IN ('institution', 'trainee')),
    grounds        VARCHAR NOT NULL,         -- what the party says, in their words
    attachments    VARCHAR[],
    first_reviewer VARCHAR,                  -- whose decision is disputed (NULL: none yet)
    recorded_by    VARCHAR NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    inbox_id       VARCHAR
);

-- an appeal is open until a decision on its finding is made after it (both times
-- to the microsecond)
CREATE VIEW appeals_open AS
SELECT a.* FROM appeals a
WHERE NOT EXISTS (SELECT 1 FROM decisions d
                  WHERE d.finding_id = a.finding_id AND d.decided_at > a.recorded_at);

CREATE OR REPLACE VIEW overrides AS
SELECT finding_id, decided_by AS official, reason, decided_at, kind
FROM decisions_latest
WHERE kind IN ('dismiss', 'override') AND NOT evidence_changed AND NOT finding_resolved
  AND finding_id NOT IN (SELECT finding_id FROM appeals_open);

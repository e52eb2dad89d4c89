-- 0008: bulk extracts loaded file by file, and a roster's own 序号 (issue 14).
--
-- * load_files: every file a source's last good bulk load read, in load order (the
--   base extract, then its daily deltas), with its SHA-256, size and modification
--   time. A folder whose files are those plus new ones loads only the new ones
--   (merged as deltas); any other change reloads the source whole. Size and
--   modification time only spare re-hashing an unchanged file.
-- * roster_entries.roster_no: the number the roster itself gives a trainee (序号),
--   beside seq (its Excel row), so that a filed class's review names both.

CREATE TABLE load_files (
    source     VARCHAR NOT NULL,
    position   INTEGER NOT NULL,          -- load order within the source (0: the base)
    file       VARCHAR NOT NULL,          -- relative to the folder loaded
    sha256     VARCHAR NOT NULL,
    size       BIGINT NOT NULL,
    mtime_ns   BIGINT,
    run_id     VARCHAR,
    loaded_at  TIMESTAMP,
    PRIMARY KEY (source, position)
);

ALTER TABLE roster_entries ADD COLUMN roster_no VARCHAR;

-- Fields no rule reads are optional at the gate now (data/README.md names, per
-- source, the rule that needs each required field): a source without them loads.
-- (DuckDB alters no table an index depends on: the lookup indexes are rebuilt.)
DROP INDEX ix_business_licences_block;
DROP INDEX ix_training_records_block;
ALTER TABLE business_licences ALTER COLUMN entity_type DROP NOT NULL;
ALTER TABLE business_licences ALTER COLUMN status DROP NOT NULL;
ALTER TABLE training_records ALTER COLUMN status DROP NOT NULL;
CREATE INDEX ix_business_licences_block ON business_licences (id_block);
CREATE INDEX ix_training_records_block ON training_records (id_block);
ALTER TABLE payments ALTER COLUMN amount_fen DROP NOT NULL;

-- 0002: the registries and directory tables the synthetic world (and a real
-- province's exchange) carries beyond 0001, and per-source load bookkeeping.

CREATE TABLE provincial_training_system (     -- 省职业培训信息管理系统 (凡补必进)
    record_key   VARCHAR NOT NULL,
    id_number    VARCHAR NOT NULL,
    class_id     VARCHAR NOT NULL,
    recorded_on  DATE,
    updated_at   TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE online_platforms (
    platform           VARCHAR PRIMARY KEY,
    listed_from        DATE,
    listed_to          DATE,
    removed_for_fraud  BOOLEAN,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE published_projects (
    project_ref         VARCHAR PRIMARY KEY,
    region_code         VARCHAR,
    occupation          VARCHAR,
    trainees            INTEGER,
    months              INTEGER,
    rate_fen_per_month  BIGINT,
    published_on        DATE,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

ALTER TABLE institution_majors ADD COLUMN category VARCHAR;
ALTER TABLE institution_majors ADD COLUMN knowledge_based BOOLEAN;

-- The fingerprint of the last extract a source loaded, so that loading the
-- same extract again changes nothing; and whether the last one was refused.
ALTER TABLE load_state ADD COLUMN fingerprint VARCHAR;
ALTER TABLE load_state ADD COLUMN last_attempt_at TIMESTAMP;
ALTER TABLE load_state ADD COLUMN last_status VARCHAR;
ALTER TABLE quarantine ADD COLUMN run_status VARCHAR;

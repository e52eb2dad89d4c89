-- 0004: what POLICY.md's normative readings need that the schema did not hold.
--
-- * classes.filing_batch: classes filed together (one 开班备案 submission); the same
--   person on two rosters of one batch is ROSTER_DUPLICATE (POLICY.md, identity).
-- * id_number_raw on every person-keyed registry: the number as the source sent it,
--   kept when normalisation (NFKC, whitespace removed, upper case — reading 2)
--   changed it, so that a link can say it was made after normalisation.
-- * id_block (region + birth date, the first 14 characters) on every person-keyed
--   registry, indexed in place of id_number: one lookup by block finds a trainee's
--   own records, the records whose number has a typo in the sequence digits
--   (reading 9) and the namesakes that forbid such a link. The tables are rebuilt
--   (DuckDB cannot index a column added and filled in the same transaction).

ALTER TABLE classes ADD COLUMN filing_batch VARCHAR;

DROP INDEX ix_household_registration_id;
DROP INDEX ix_student_status_id;
DROP INDEX ix_business_licences_id;
DROP INDEX ix_training_records_id;
DROP INDEX ix_dishonesty_list_id;

CREATE TABLE _new_household (
    id_number      VARCHAR NOT NULL,
    name           VARCHAR,
    province_code  VARCHAR NOT NULL,
    city_code      VARCHAR,
    updated_at     TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_number_raw  VARCHAR,
    id_block       VARCHAR
);
INSERT INTO _new_household
SELECT *, NULL, substr(id_number, 1, 14) FROM household_registration ORDER BY id_number;
DROP TABLE household_registration;
ALTER TABLE _new_household RENAME TO household_registration;

CREATE TABLE _new_student (
    record_key        VARCHAR,
    id_number         VARCHAR NOT NULL,
    name              VARCHAR,
    school_name       VARCHAR NOT NULL,
    school_code       VARCHAR,
    school_province   VARCHAR,
    level             VARCHAR,
    study_mode        VARCHAR NOT NULL,
    enrolled_on       DATE,
    graduated_on      DATE,
    graduation_expected BOOLEAN,
    status            VARCHAR,
    updated_at        TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_number_raw     VARCHAR,
    id_block          VARCHAR
);
INSERT INTO _new_student
SELECT *, NULL, substr(id_number, 1, 14) FROM student_status ORDER BY id_number;
DROP TABLE student_status;
ALTER TABLE _new_student RENAME TO student_status;

ALTER TABLE pension_contributions ADD COLUMN id_number_raw VARCHAR;

CREATE TABLE _new_licences (
    record_key       VARCHAR,
    id_number        VARCHAR NOT NULL,
    name             VARCHAR,
    role             VARCHAR NOT NULL,
    entity_name      VARCHAR,
    credit_code      VARCHAR,
    entity_type      VARCHAR NOT NULL,
    established_on   DATE NOT NULL,
    status           VARCHAR NOT NULL,
    deregistered_on  DATE,
    updated_at       TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_number_raw    VARCHAR,
    id_block         VARCHAR
);
INSERT INTO _new_licences
SELECT *, NULL, substr(id_number, 1, 14) FROM business_licences ORDER BY id_number;
DROP TABLE business_licences;
ALTER TABLE _new_licences RENAME TO business_licences;

CREATE TABLE _new_training (
    record_key        VARCHAR,
    id_number         VARCHAR NOT NULL,
    name              VARCHAR,
    region_code       VARCHAR NOT NULL,
    institution       VARCHAR,
    programme         VARCHAR,
    class_ref         VARCHAR,
    start_date        DATE NOT NULL,
    end_date          DATE NOT NULL,
    status            VARCHAR NOT NULL,
    subsidised        BOOLEAN,
    subsidy_fen       BIGINT,
    subsidy_paid_on   DATE,
    updated_at        TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_number_raw     VARCHAR,
    id_block          VARCHAR
);
INSERT INTO _new_training
SELECT *, NULL, substr(id_number, 1, 14) FROM training_records ORDER BY id_number;
DROP TABLE training_records;
ALTER TABLE _new_training RENAME TO training_records;

CREATE TABLE _new_dishonesty (
    record_key    VARCHAR,
    subject_type  VARCHAR NOT NULL CHECK (subject_type IN ('person', 'institution', 'platform')),
    id_number     VARCHAR,
    credit_code   VARCHAR,
    reason        VARCHAR,
    listed_from   DATE NOT NULL,
    listed_to     DATE,
    updated_at    TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_number_raw VARCHAR,
    id_block      VARCHAR
);
INSERT INTO _new_dishonesty
SELECT *, NULL, substr(id_number, 1, 14) FROM dishonesty_list ORDER BY id_number;
DROP TABLE dishonesty_list;
ALTER TABLE _new_dishonesty RENAME TO dishonesty_list;

ALTER TABLE provincial_training_system ADD COLUMN id_number_raw VARCHAR;

CREATE INDEX ix_household_registration_block ON household_registration (id_block);
CREATE INDEX ix_student_status_block ON student_status (id_block);
CREATE INDEX ix_business_licences_block ON business_licences (id_block);
CREATE INDEX ix_training_records_block ON training_records (id_block);
CREATE INDEX ix_dishonesty_list_block ON dishonesty_list (id_block);

-- Every link between a trainee and a registry record the last run used (POLICY.md
-- readings 2, 3, 9): how the record was attributed to the person. Rewritten for
-- the classes a run covers; `crosscheck links export` reads it, with the open
-- findings whose evidence cites each record.
CREATE TABLE links (
    class_id       VARCHAR NOT NULL,
    id_number      VARCHAR NOT NULL,              -- the trainee (normalised)
    source         VARCHAR NOT NULL,              -- the registry
    record_key     VARCHAR,                       -- the record (household: its ID)
    record_id      VARCHAR,                       -- the number the record holds
    link           VARCHAR NOT NULL,              -- exact / normalised / fuzzy_swap / fuzzy_digit
    name_level     VARCHAR,                       -- roster name vs the record's name
    run_id         VARCHAR NOT NULL
);

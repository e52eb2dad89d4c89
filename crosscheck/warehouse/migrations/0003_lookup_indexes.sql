-- 0003: point lookups for one-class checks. An on-demand check reads the
-- registry rows of a few dozen trainees: by ID number, and — for the fuzzy links
-- into the pension register — by region and birth date (the first 14 characters,
-- kept in id_block because DuckDB does not use an index on an expression). ART
-- indexes turn those reads into lookups instead of scans of millions of rows.
-- The pension register is looked up by id_block only (it covers the exact ID too).
-- The loader drops and rebuilds them around a large load (crosscheck.ingest.load).

-- (rebuilt rather than ALTER + UPDATE: DuckDB cannot index a table with updates
-- outstanding in the same transaction)
CREATE TABLE _pension_new (
    record_key            VARCHAR,
    id_number             VARCHAR NOT NULL,
    name                  VARCHAR,
    scheme                VARCHAR NOT NULL,
    employer_name         VARCHAR,
    employer_credit_code  VARCHAR,
    city_code             VARCHAR,
    month_from            DATE NOT NULL,
    month_to              DATE NOT NULL,
    updated_at            TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP,
    id_block              VARCHAR             -- substr(id_number, 1, 14), set by the loader
);
INSERT INTO _pension_new
SELECT *, substr(id_number, 1, 14) FROM pension_contributions ORDER BY id_number;
DROP TABLE pension_contributions;
ALTER TABLE _pension_new RENAME TO pension_contributions;

CREATE INDEX ix_household_registration_id ON household_registration (id_number);
CREATE INDEX ix_student_status_id ON student_status (id_number);
CREATE INDEX ix_pension_contributions_block ON pension_contributions (id_block);
CREATE INDEX ix_business_licences_id ON business_licences (id_number);
CREATE INDEX ix_training_records_id ON training_records (id_number);
CREATE INDEX ix_dishonesty_list_id ON dishonesty_list (id_number);

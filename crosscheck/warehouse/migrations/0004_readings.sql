-- 0004: what POLICY.md's normative readings need that the schema did not hold.
--
-- classes.filing_batch: classes filed together (one 开班备案 submission); the same
-- person on two rosters of one batch is ROSTER_DUPLICATE (POLICY.md, identity).
-- id_number_raw on every person-keyed registry: the number as the source sent it,
-- kept when normalisation (NFKC, whitespace removed, upper case — reading 2)
-- changed it, so that a link can say it was made after normalisation.

ALTER TABLE classes ADD COLUMN filing_batch VARCHAR;
ALTER TABLE household_registration ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE student_status ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE pension_contributions ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE business_licences ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE training_records ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE dishonesty_list ADD COLUMN id_number_raw VARCHAR;
ALTER TABLE provincial_training_system ADD COLUMN id_number_raw VARCHAR;

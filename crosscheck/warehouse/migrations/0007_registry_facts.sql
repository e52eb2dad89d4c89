-- 0007: facts POLICY.md's registry table names that the exchange contract lacked
-- (issue 14, "Missing facts"). Every column is optional: null where a source does
-- not say.
--
-- * institution_majors.policy_id: the policy the (major, level) is approved under;
--   null = approved under every policy. MAJOR_NOT_APPROVED counts only approvals
--   whose policy is null or the class's own (and so does Shenyang's 3-major cap);
--   the hours, project and rate rules read the class's own policy's row first.
-- * venues.school_code: the school whose campus the venue is, when it is at a
--   school (an institution training on a college's campus). Shenyang's
--   OWN_GRADUATE (reading 13, "the class's venue is the trainee's school") fires
--   on it as on a venue of a school's own.
-- * household_registration.county_code: the 6-digit county of registration (the
--   registry table says province/city; the county is kept when sent, and shown in
--   the region evidence).
--
-- classes.filing_batch (0004) was already here; the contract now carries it, so a
-- bulk load of operations/classes fills it.

ALTER TABLE institution_majors ADD COLUMN policy_id VARCHAR;
ALTER TABLE venues ADD COLUMN school_code VARCHAR;
ALTER TABLE household_registration ADD COLUMN county_code VARCHAR;

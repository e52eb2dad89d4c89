-- 0006: personal data kept no longer than the notices require (issue 12, item 11).
--
-- purged_classes: a class whose personal data `crosscheck purge` removed — when,
-- the cut-off it was purged under, and what is kept of it: its trainee count and
-- the accounting it was paid on (the money itself stays in `payments`, which holds
-- no personal data). Its findings are kept, without the person: counts by rule
-- stay true. The checks leave a purged class alone.

CREATE TABLE purged_classes (
    class_id             VARCHAR PRIMARY KEY,
    purged_at            TIMESTAMP NOT NULL,
    before               DATE NOT NULL,
    last_paid_on         DATE NOT NULL,
    trainees             INTEGER NOT NULL,
    opened               INTEGER,
    subsidised           INTEGER,
    proposed_fen         BIGINT,
    total_deduction_fen  BIGINT,
    actual_fen           BIGINT,
    payable              BOOLEAN,
    run_id               VARCHAR NOT NULL
);

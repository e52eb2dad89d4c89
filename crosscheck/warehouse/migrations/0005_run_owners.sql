-- 0005: who ran a run, so that a run whose process died is not "running" for ever.
--
-- * runs.pid / runs.host: the process that started the run. A writer that opens
--   the warehouse marks every 'running' row of this host whose process is gone as
--   'abandoned' (with the pid that died); DuckDB lets one process write at a time,
--   so a run left 'running' by a dead process can never finish.
-- * status 'abandoned' joins the allowed statuses (the table is rebuilt: DuckDB
--   cannot alter a CHECK constraint in place).

CREATE TABLE _new_runs (
    run_id       VARCHAR PRIMARY KEY,
    kind         VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL
                 CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'abandoned')),
    as_of        DATE,
    params       JSON,
    summary      JSON,
    pid          INTEGER,
    host         VARCHAR
);
INSERT INTO _new_runs (run_id, kind, started_at, finished_at, status, as_of, params, summary)
SELECT run_id, kind, started_at, finished_at, status, as_of, params, summary FROM runs;
DROP TABLE runs;
ALTER TABLE _new_runs RENAME TO runs;

-- 0001: the first schema. Registries, operational data, findings, runs.
--
-- Every registry and operational table carries its provenance, so that a
-- finding can cite the exact row it rests on:
--   _source     the registry or file it came from (e.g. 'pension', 'roster:C123.xlsx')
--   _extract    the extract, file or page it was read from
--   _row        the row number within that extract (1-based, data rows)
--   _loaded_at  when it was loaded
-- ID numbers are stored normalised (crosscheck.idnumber.normalize); the raw
-- value the source sent is kept where the source is a human-typed document.
-- Registry tables declare no PRIMARY KEY: the loader keeps their keys unique
-- (crosscheck.ingest.load), and DuckDB's index maintenance would cost eight
-- times the insert on a ten-million-row bulk load.

CREATE TABLE runs (
    run_id       VARCHAR PRIMARY KEY,
    kind         VARCHAR NOT NULL,            -- ingest / opening / payout / nightly / report / demo
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    status       VARCHAR NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    as_of        DATE,
    params       JSON,
    summary      JSON
);

CREATE TABLE load_state (
    source           VARCHAR PRIMARY KEY,
    watermark        VARCHAR,
    last_success_at  TIMESTAMP,
    last_run_id      VARCHAR,
    rows_read        BIGINT,
    rows_loaded      BIGINT,
    rows_rejected    BIGINT,
    last_quality     JSON
);

-- Rows an extract sent that failed its data-quality gate: kept, never dropped.
CREATE TABLE quarantine (
    source       VARCHAR NOT NULL,
    _extract     VARCHAR,
    _row         BIGINT,
    field        VARCHAR,
    reason       VARCHAR NOT NULL,
    raw          JSON,
    run_id       VARCHAR,
    rejected_at  TIMESTAMP NOT NULL
);

-- ---------------------------------------------------------------- registries

CREATE TABLE pension_contributions (          -- 社保: 养老保险参保缴费
    record_key            VARCHAR,
    id_number             VARCHAR NOT NULL,
    name                  VARCHAR,
    scheme                VARCHAR NOT NULL,   -- 城镇企业职工基本养老保险 / 机关事业单位养老保险
    employer_name         VARCHAR,
    employer_credit_code  VARCHAR,
    city_code             VARCHAR,
    month_from            DATE NOT NULL,      -- first contribution month (day 1)
    month_to              DATE NOT NULL,      -- last contribution month (day 1)
    updated_at            TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE business_licences (              -- 市场监管: 营业执照
    record_key       VARCHAR,
    id_number        VARCHAR NOT NULL,
    name             VARCHAR,
    role             VARCHAR NOT NULL,        -- operator / legal_representative / investor
    entity_name      VARCHAR,
    credit_code      VARCHAR,
    entity_type      VARCHAR NOT NULL,        -- 个体工商户 / 企业
    established_on   DATE NOT NULL,
    status           VARCHAR NOT NULL,        -- active / deregistered / revoked
    deregistered_on  DATE,
    updated_at       TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE student_status (                 -- 学籍 / 学信网
    record_key        VARCHAR,
    id_number         VARCHAR NOT NULL,
    name              VARCHAR,
    school_name       VARCHAR NOT NULL,
    school_code       VARCHAR,
    school_province   VARCHAR,                -- 2-digit GB/T 2260 code
    level             VARCHAR,                -- 本科 / 专科 / 研究生 / 技师学院高级工班 …
    study_mode        VARCHAR NOT NULL,       -- 全日制 / 非全日制
    enrolled_on       DATE,
    graduated_on      DATE,                   -- actual or expected
    graduation_expected BOOLEAN,
    status            VARCHAR,                -- graduated / enrolled / withdrawn
    updated_at        TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE household_registration (         -- 户籍
    id_number      VARCHAR NOT NULL,
    name           VARCHAR,
    province_code  VARCHAR NOT NULL,
    city_code      VARCHAR,
    updated_at     TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE training_records (               -- other cities' / provinces' training systems
    record_key        VARCHAR,
    id_number         VARCHAR NOT NULL,
    name              VARCHAR,
    region_code       VARCHAR NOT NULL,
    institution       VARCHAR,
    programme         VARCHAR,
    class_ref         VARCHAR,
    start_date        DATE NOT NULL,
    end_date          DATE NOT NULL,
    status            VARCHAR NOT NULL,       -- enrolled / completed / dropped
    subsidised        BOOLEAN,
    subsidy_fen       BIGINT,
    subsidy_paid_on   DATE,
    updated_at        TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE dishonesty_list (                -- 失信名单
    record_key    VARCHAR,
    subject_type  VARCHAR NOT NULL CHECK (subject_type IN ('person', 'institution', 'platform')),
    id_number     VARCHAR,
    credit_code   VARCHAR,
    reason        VARCHAR,
    listed_from   DATE NOT NULL,
    listed_to     DATE,
    updated_at    TIMESTAMP,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

-- ------------------------------------------------------ institution directory

CREATE TABLE institutions (
    institution_id  VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    credit_code     VARCHAR,
    region_code     VARCHAR NOT NULL,
    is_school       BOOLEAN,                  -- a college training its own graduates
    school_code     VARCHAR,
    listed_from     DATE,
    listed_to       DATE,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE institution_majors (
    institution_id      VARCHAR NOT NULL,
    major               VARCHAR NOT NULL,
    level               VARCHAR,              -- 初级 / 中级 / 高级 / 专项
    required_hours      INTEGER,
    months              INTEGER,
    rate_fen_per_month  BIGINT,
    certificate         VARCHAR,
    valid_from          DATE,
    valid_to            DATE,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE venues (
    venue_id        VARCHAR PRIMARY KEY,
    institution_id  VARCHAR NOT NULL,
    address         VARCHAR,
    owned           BOOLEAN,
    verified_on     DATE,                     -- on-site verification (现场核验)
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

-- ------------------------------------------------------------ operational data

CREATE TABLE classes (
    class_id          VARCHAR PRIMARY KEY,
    policy_id         VARCHAR,
    region_code       VARCHAR NOT NULL,
    institution_id    VARCHAR NOT NULL,
    major             VARCHAR NOT NULL,
    level             VARCHAR,
    venue_id          VARCHAR,
    offsite_filed     BOOLEAN,
    planned_start     DATE NOT NULL,
    planned_end       DATE NOT NULL,
    months            INTEGER,
    hours_per_day     INTEGER,
    hours_total       INTEGER,
    hours_practice    INTEGER,
    hours_online      INTEGER,
    online_platform   VARCHAR,
    category          VARCHAR,                -- Zhengning A/B/C/D/post_skill
    project_ref       VARCHAR,                -- Sichuan published project
    filed_on          DATE,
    approved_on       DATE,
    actual_start      DATE,
    status            VARCHAR NOT NULL,       -- filed / approved / open / completed / paid / rejected
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE roster_entries (                 -- 学员花名册
    class_id        VARCHAR NOT NULL,
    seq             INTEGER NOT NULL,
    id_number       VARCHAR NOT NULL,
    id_number_raw   VARCHAR,
    name            VARCHAR NOT NULL,
    sex             VARCHAR,
    school_name     VARCHAR,
    graduated_on    DATE,
    education       VARCHAR,
    phone_masked    VARCHAR,
    PRIMARY KEY (class_id, seq),
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE attendance (                     -- per trainee and month (附件6)
    class_id         VARCHAR NOT NULL,
    id_number        VARCHAR NOT NULL,
    month            DATE NOT NULL,
    days_required    INTEGER NOT NULL,
    days_present     INTEGER NOT NULL,
    hours_online     INTEGER,
    evidence         VARCHAR[],               -- face_recognition, classroom_video, …
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE attendance_checks (              -- class-level checks (附件8 注2)
    class_id    VARCHAR NOT NULL,
    checked_on  DATE NOT NULL,
    enrolled    INTEGER NOT NULL,
    present     INTEGER NOT NULL,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE completion_acceptance (          -- 结课验收
    class_id      VARCHAR NOT NULL,
    id_number     VARCHAR,                    -- NULL: the class as a whole
    applied_on    DATE,
    accepted_on   DATE,
    accepted      BOOLEAN NOT NULL,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE exam_results (                   -- 考核评价
    class_id          VARCHAR NOT NULL,
    id_number         VARCHAR NOT NULL,
    status            VARCHAR NOT NULL CHECK (status IN ('passed', 'failed', 'absent')),
    certificate_type  VARCHAR,                -- vocational_qualification / skill_level / special_ability
    certificate_no    VARCHAR,
    issued_on         DATE,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE dropouts (                       -- 中途退出 (附件7)
    class_id   VARCHAR NOT NULL,
    id_number  VARCHAR NOT NULL,
    left_on    DATE NOT NULL,
    reason     VARCHAR,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE materials_review (               -- 材料审核
    class_id   VARCHAR NOT NULL,
    id_number  VARCHAR NOT NULL,
    passed     BOOLEAN NOT NULL,
    missing    VARCHAR[],
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE violations (                     -- 违纪违规
    class_id        VARCHAR NOT NULL,
    found_on        DATE,
    description     VARCHAR,
    deduction_rate  DECIMAL(6, 4) NOT NULL,   -- share of the proposed amount
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE certification_subsidies (        -- 鉴定补贴 paid separately
    id_number   VARCHAR NOT NULL,
    class_id    VARCHAR,
    amount_fen  BIGINT NOT NULL,
    paid_on     DATE,
    first_certification BOOLEAN,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE payments (
    class_id       VARCHAR NOT NULL,
    batch_id       VARCHAR,
    amount_fen     BIGINT NOT NULL,
    paid_on        DATE,
    account_type   VARCHAR,                   -- basic / other
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE notices (                        -- 公示
    batch_id       VARCHAR NOT NULL,
    class_id       VARCHAR NOT NULL,
    published_on   DATE NOT NULL,
    ends_on        DATE NOT NULL,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

CREATE TABLE notice_objections (
    batch_id     VARCHAR NOT NULL,
    class_id     VARCHAR,
    id_number    VARCHAR,
    raised_on    DATE NOT NULL,
    resolved_on  DATE,
    _source VARCHAR, _extract VARCHAR, _row BIGINT, _loaded_at TIMESTAMP
);

-- --------------------------------------------------------------------- findings

CREATE TABLE findings (
    finding_id      VARCHAR PRIMARY KEY,      -- stable fingerprint: same facts, same id
    stage           VARCHAR NOT NULL CHECK (stage IN ('identity', 'opening', 'payout')),
    class_id        VARCHAR NOT NULL,
    id_number       VARCHAR,                  -- NULL for class-level findings
    rule_code       VARCHAR NOT NULL,
    severity        VARCHAR NOT NULL CHECK (severity IN ('block', 'exclude', 'deduct', 'review', 'rate')),
    policy_id       VARCHAR NOT NULL,
    policy_version  VARCHAR NOT NULL,
    clause          VARCHAR,
    match_level     VARCHAR,                  -- names.MatchLevel when identity was fuzzy
    evidence        JSON NOT NULL,            -- registry rows: source, key, dates …
    first_run_id    VARCHAR NOT NULL,
    last_run_id     VARCHAR NOT NULL,
    first_seen_at   TIMESTAMP NOT NULL,
    last_seen_at    TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP                 -- facts no longer hold
);

CREATE TABLE overrides (                      -- "原则上": an official's recorded decision
    finding_id  VARCHAR NOT NULL,
    official    VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    decided_at  TIMESTAMP NOT NULL
);

-- Asynchronous report jobs (POST /v1/reports, GET /v1/jobs/{id}).
CREATE TABLE jobs (
    id          VARCHAR(36)  PRIMARY KEY,
    client_id   VARCHAR(128) NOT NULL,
    kind        VARCHAR(32)  NOT NULL,
    status      VARCHAR(16)  NOT NULL,
    params      TEXT         NOT NULL,
    result      TEXT,
    error       TEXT,
    request_id  VARCHAR(128),
    created_at  VARCHAR(32)  NOT NULL,
    updated_at  VARCHAR(32)  NOT NULL
);

-- Start-up re-queues unfinished jobs: WHERE status IN (...) ORDER BY created_at.
CREATE INDEX ix_jobs_status_created ON jobs (status, created_at);
-- GET /v1/jobs/{id} is scoped to the caller.
CREATE INDEX ix_jobs_client ON jobs (client_id);

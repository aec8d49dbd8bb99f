-- Orders written through POST /v1/orders.
-- The UNIQUE constraint on (client_id, idempotency_key) is what makes the write idempotent
-- under concurrency: the second insert of a key fails and the API replays the stored response.
CREATE TABLE orders (
    id              VARCHAR(36)  PRIMARY KEY,
    client_id       VARCHAR(128) NOT NULL,
    idempotency_key VARCHAR(255),
    request_hash    CHAR(64)     NOT NULL,
    chain           VARCHAR(32)  NOT NULL,
    address         VARCHAR(64)  NOT NULL,
    side            VARCHAR(8)   NOT NULL,
    asset           VARCHAR(16)  NOT NULL,
    amount          VARCHAR(80)  NOT NULL,
    status_code     INTEGER      NOT NULL,
    response_body   TEXT         NOT NULL,
    created_at      VARCHAR(32)  NOT NULL,
    CONSTRAINT uq_orders_client_idempotency_key UNIQUE (client_id, idempotency_key)
);

-- GET /v1/orders/{id} is scoped to the caller; listing by client is ordered by creation time.
CREATE INDEX ix_orders_client_created ON orders (client_id, created_at);

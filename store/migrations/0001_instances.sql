-- The state of durable instances: one row per instance, its checkpoints, durable
-- sleeps, signals addressed to its WaitForSignal steps, and its events (the step
-- history). Times are milliseconds since the Unix epoch; JSON is stored as text.
-- Portable SQL: the same migrations run on SQLite and on PostgreSQL. Statements are
-- idempotent, because two processes may open a new store at the same moment.

CREATE TABLE IF NOT EXISTS instances (
    tenant_id   TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    component   TEXT,
    input       TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    control     TEXT,
    output      TEXT,
    error       TEXT,
    wake_at     BIGINT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (tenant_id, instance_id)
);

CREATE TABLE IF NOT EXISTS checkpoints (
    tenant_id     TEXT   NOT NULL,
    instance_id   TEXT   NOT NULL,
    checkpoint_id TEXT   NOT NULL,
    seq           BIGINT NOT NULL,
    state         TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, instance_id, checkpoint_id)
);

CREATE TABLE IF NOT EXISTS sleeps (
    tenant_id     TEXT   NOT NULL,
    instance_id   TEXT   NOT NULL,
    checkpoint_id TEXT   NOT NULL,
    wake_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, instance_id, checkpoint_id)
);

CREATE TABLE IF NOT EXISTS signals (
    tenant_id   TEXT   NOT NULL,
    instance_id TEXT   NOT NULL,
    signal_id   TEXT   NOT NULL,
    payload     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, instance_id, signal_id)
);

CREATE TABLE IF NOT EXISTS events (
    tenant_id   TEXT   NOT NULL,
    instance_id TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    level       TEXT   NOT NULL,
    message     TEXT   NOT NULL,
    context     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, instance_id, seq)
);

CREATE INDEX IF NOT EXISTS instances_waking ON instances (status, wake_at);

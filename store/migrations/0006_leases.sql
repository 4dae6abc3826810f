-- Leases: the core (node) that runs an instance is its owner until lease_until
-- (ms since the epoch), which the owner's heartbeat keeps moving on. Another core
-- takes a running instance over only once its lease has passed. nodes: the cores
-- that share this store and when each last beat, for /api/v1/nodes. The columns
-- and the table come in this one migration's transaction: a store has all or none.
ALTER TABLE instances ADD COLUMN owner TEXT;
ALTER TABLE instances ADD COLUMN lease_until BIGINT;
CREATE INDEX IF NOT EXISTS instances_by_owner ON instances (owner, status);
CREATE TABLE IF NOT EXISTS nodes (
    node_id      TEXT   NOT NULL PRIMARY KEY,
    address      TEXT   NOT NULL,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);

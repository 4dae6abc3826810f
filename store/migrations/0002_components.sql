-- Composed components uploaded to the core, content-addressed per tenant
-- (`sha256:<hex>`), from which it starts instances.
CREATE TABLE IF NOT EXISTS components (
    tenant_id  TEXT   NOT NULL,
    digest     TEXT   NOT NULL,
    bytes      BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);

-- Connections: credentials a tenant's Agent steps use (`connectionId`), which the
-- host adds to the step's requests. `params` is the connection's public part as
-- JSON (kind, scope, parameters); `secret` is sealed (AES-256-GCM, bound to the
-- tenant and id) by runtara-connections before it reaches the store, which never
-- sees it in the clear.
CREATE TABLE IF NOT EXISTS connections (
    tenant_id  TEXT   NOT NULL,
    id         TEXT   NOT NULL,
    params     TEXT   NOT NULL,
    secret     BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

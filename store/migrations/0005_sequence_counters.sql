-- Counters on the instance row that number its checkpoints and events: saving one
-- bumps its counter (which also locks the row) instead of reading the highest
-- number among the instance's rows. Filled from the rows already saved. Both
-- columns come in this one migration's transaction: a store has both or neither.
ALTER TABLE instances ADD COLUMN checkpoint_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
UPDATE instances SET
    checkpoint_seq = COALESCE((SELECT MAX(seq) FROM checkpoints
                               WHERE checkpoints.tenant_id = instances.tenant_id
                                 AND checkpoints.instance_id = instances.instance_id), 0),
    event_seq = COALESCE((SELECT MAX(seq) FROM events
                          WHERE events.tenant_id = instances.tenant_id
                            AND events.instance_id = instances.instance_id), 0);

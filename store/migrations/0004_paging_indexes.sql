-- Indexes for reading in pages: a resumed run reads its checkpoints in `seq`
-- order after a cursor, and `GET /api/v1/instances` lists a tenant's instances
-- newest first, by creation time and id. Idempotent, like every migration.
CREATE INDEX IF NOT EXISTS checkpoints_by_seq ON checkpoints (tenant_id, instance_id, seq);
CREATE INDEX IF NOT EXISTS instances_by_creation ON instances (tenant_id, created_at, instance_id);

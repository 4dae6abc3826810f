-- Fencing: each claim of an instance gives its run the next number, and every
-- write of a run a core claimed (checkpoints, signal takes, sleeps, its end)
-- carries it. A write with an older number is refused, so a core that was stopped
-- past its lease cannot write over the progress of the core that took over.
ALTER TABLE instances ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;

-- A taken signal stays, marked with when its WaitForSignal step first took it:
-- a run that stops before checkpointing the step takes it again when resumed,
-- and a signal sent after it was taken is refused instead of lost.
ALTER TABLE signals ADD COLUMN taken_at BIGINT;

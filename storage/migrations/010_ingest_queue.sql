-- 010: ingest, the job queue and the keys that encrypt originals.

-- One data key per child, wrapped (crypto_secretbox) by the master key in
-- <data_dir>/keys/master.key. Destroying a child's key (wrapped_key NULL, destroyed_at set)
-- makes every original of that child unreadable, wherever copies of the files are.
CREATE TABLE child_keys (
  child_id     bigint PRIMARY KEY REFERENCES children(id),
  wrapped_key  text,            -- hex: 24-byte nonce || secretbox(32-byte key)
  created_at   timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
);

-- A failed attempt is retried no earlier than available_at (back-off).
ALTER TABLE jobs ADD COLUMN available_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX jobs_media ON jobs (media_id);

-- Who submitted: the device (registered CURVE key) an upload came through.
ALTER TABLE media ADD COLUMN device_id bigint REFERENCES devices(id);
ALTER TABLE devices ADD COLUMN revoked_at timestamptz;

-- Workers LISTEN on veil_jobs: a job becoming ready wakes them at once.
CREATE FUNCTION jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'queued' THEN
    PERFORM pg_notify('veil_jobs', NEW.id::text);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF state ON jobs
  FOR EACH ROW EXECUTE FUNCTION jobs_notify();

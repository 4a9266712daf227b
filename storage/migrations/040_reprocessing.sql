-- 040: consent changes reach every published item (issue 18): the face index, withdrawn
-- items, reprocessing batches, and the journal front end's view and role.

-- The face index. Every face row keeps the embedding it was judged with (a photo face; a
-- video track's averaged embedding) and the embedder that made it; the item keeps the
-- detection settings that found its faces. Matching again needs no detection while both are
-- the current ones. NULL: recorded before this migration, or a box drawn by hand.
ALTER TABLE faces ADD COLUMN embedding real[];
ALTER TABLE faces ADD COLUMN embedder text;
ALTER TABLE media ADD COLUMN detection text;
CREATE INDEX faces_indexed ON faces (media_id) WHERE embedding IS NOT NULL;

-- withdrawn: the item's renditions showed a child whose consent was withdrawn; they must not
-- be served until the item is rendered again (it then returns to published).
ALTER TABLE media DROP CONSTRAINT media_state_check;
ALTER TABLE media ADD CONSTRAINT media_state_check
  CHECK (state IN ('received', 'processing', 'published', 'held', 'withdrawn', 'rejected', 'failed', 'deleted'));
CREATE INDEX media_state ON media (state);

-- An operator's `veil reprocess`: what was asked, by whom; its jobs carry its id.
CREATE TABLE reprocess_batches (
  id           bigserial PRIMARY KEY,
  requested_by text NOT NULL,
  selector     jsonb NOT NULL,
  total        integer NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Jobs are claimed by priority, then in order: a withdrawal's jobs go ahead of every upload,
-- an operator's batch behind them (and at a limited rate). `causes` lists what asked for a
-- reprocess job ({"kind": "consent", "id": <consent_events.id>}, ...), cited by its audit row.
ALTER TABLE jobs ADD COLUMN priority smallint NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN causes jsonb NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN batch_id bigint REFERENCES reprocess_batches(id);
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (priority DESC, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_batch ON jobs (batch_id) WHERE batch_id IS NOT NULL;

-- The journal front end's contract (docs/integration.md): what may be shown, and nothing
-- else. Published items and their current renditions only; never held, withdrawn, rejected,
-- failed or deleted ones. The view runs with its owner's rights, so its reader needs no right
-- on any table.
CREATE VIEW journal_renditions AS
  SELECT m.id AS media_id, m.journal_child_id, m.observation_ref, m.kind AS media_kind,
         m.created_at, m.updated_at, r.version, r.kind, r.path, r.mime, r.width, r.height,
         r.bytes, r.sha256
    FROM media m JOIN renditions r ON r.media_id = m.id
   WHERE m.state = 'published';

-- veil_journal: the front end's role, NOLOGIN (an administrator grants it to the front end's
-- login role). Roles belong to the whole cluster: it is created where the migrating user may
-- create roles (the embedded cluster); elsewhere an administrator creates it first
-- (docs/integration.md). Whenever it exists it may read the view and nothing else.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'veil_journal') THEN
    IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
      BEGIN
        CREATE ROLE veil_journal NOLOGIN;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;  -- another database's migration created it at the same moment
      END;
    ELSE
      RAISE NOTICE 'role veil_journal not created: % may not create roles (docs/integration.md)', current_user;
    END IF;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'veil_journal') THEN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM veil_journal', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO veil_journal', current_database());
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM veil_journal;
    GRANT USAGE ON SCHEMA public TO veil_journal;
    GRANT SELECT ON journal_renditions TO veil_journal;
  END IF;
END $$;

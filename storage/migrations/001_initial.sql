-- 001: the data model of DESIGN.md section 3.

CREATE TABLE people (
  id          bigserial PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('staff', 'parent', 'child')),
  display_name text NOT NULL,
  email       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE children (
  id           bigserial PRIMARY KEY,
  display_name text NOT NULL,
  key_person   bigint REFERENCES people(id),
  status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'left', 'archived', 'deleted')),
  left_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE consent_events (
  id              bigserial PRIMARY KEY,
  child_id        bigint NOT NULL REFERENCES children(id),
  photo_in_others boolean NOT NULL,
  recorded_by     bigint REFERENCES people(id),
  evidence        text NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX consent_events_child ON consent_events (child_id, id DESC);

CREATE TABLE face_templates (
  id           bigserial PRIMARY KEY,
  child_id     bigint NOT NULL REFERENCES children(id),
  embedding    real[] NOT NULL,
  model        text NOT NULL,
  source_media text,
  quality      real,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX face_templates_child ON face_templates (child_id);

CREATE TABLE devices (
  id               bigserial PRIMARY KEY,
  curve_public_key text NOT NULL UNIQUE,
  owner            bigint REFERENCES people(id),
  name             text,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE media (
  id                   uuid PRIMARY KEY,
  client_submission_id text,
  journal_child_id     bigint REFERENCES children(id),
  observation_ref      text,
  uploader_id          bigint REFERENCES people(id),
  uploader_role        text NOT NULL CHECK (uploader_role IN ('staff', 'parent')),
  kind                 text NOT NULL CHECK (kind IN ('photo', 'video')),
  original_name        text,
  original_sha256      text NOT NULL,
  bytes                bigint NOT NULL,
  state                text NOT NULL DEFAULT 'received'
                       CHECK (state IN ('received', 'processing', 'published', 'held', 'rejected', 'failed', 'deleted')),
  reason               text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX media_submission ON media (uploader_id, client_submission_id)
  WHERE client_submission_id IS NOT NULL;
CREATE INDEX media_journal ON media (journal_child_id);

CREATE TABLE jobs (
  id          bigserial PRIMARY KEY,
  media_id    uuid REFERENCES media(id),
  kind        text NOT NULL CHECK (kind IN ('process', 'reprocess', 'export', 'purge')),
  state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until timestamptz,
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_ready ON jobs (state, id) WHERE state IN ('queued', 'running');

CREATE TABLE faces (
  id               bigserial PRIMARY KEY,
  media_id         uuid NOT NULL REFERENCES media(id),
  frame_or_track   integer NOT NULL DEFAULT 0,
  bbox             real[] NOT NULL,
  landmarks        real[],
  det_score        real NOT NULL,
  matched_child_id bigint REFERENCES children(id),
  similarity       real,
  decision         text NOT NULL CHECK (decision IN ('keep', 'blur')),
  decision_reason  text NOT NULL,
  consent_event_id bigint REFERENCES consent_events(id),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX faces_media ON faces (media_id);
CREATE INDEX faces_child ON faces (matched_child_id);

CREATE TABLE renditions (
  id       bigserial PRIMARY KEY,
  media_id uuid NOT NULL REFERENCES media(id),
  version  integer NOT NULL DEFAULT 1,
  kind     text NOT NULL,
  path     text NOT NULL,
  mime     text NOT NULL,
  width    integer NOT NULL,
  height   integer NOT NULL,
  bytes    bigint NOT NULL,
  sha256   text NOT NULL
);
CREATE INDEX renditions_media ON renditions (media_id);

CREATE TABLE moderation (
  id         bigserial PRIMARY KEY,
  media_id   uuid NOT NULL REFERENCES media(id),
  reason     text NOT NULL,
  state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected')),
  decided_by bigint REFERENCES people(id),
  decided_at timestamptz,
  note       text
);
CREATE INDEX moderation_pending ON moderation (state) WHERE state = 'pending';

CREATE TABLE audit (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor     text NOT NULL,
  action    text NOT NULL,
  media_id  uuid,
  child_id  bigint,
  detail    jsonb NOT NULL DEFAULT '{}',
  prev_hash text NOT NULL,
  hash      text NOT NULL
);

-- The audit log is append only: updates and deletes are refused by the database itself.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- consent_events is append only too: history is never rewritten.
CREATE TRIGGER consent_append_only BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

-- 041: children leaving the setting (issue 19): the leaver flow, export and purge jobs, items
-- imported from another setting, and the one deletion consent_events allows.

-- A child in the leaver flow: left on `left_on`, purged on or after `purge_due` unless they
-- return first. The export built for the parents is recorded here (path, size, sha256). The
-- row is deleted by a return or by the purge.
CREATE TABLE leavers (
  child_id      bigint PRIMARY KEY REFERENCES children(id),
  left_on       date NOT NULL,
  purge_due     date NOT NULL,
  export_path   text,
  export_bytes  bigint,
  export_sha256 text,
  exported_at   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((export_path IS NULL) = (exported_at IS NULL))
);

-- Export and purge jobs are about a child, not a media item. No foreign key: the purge
-- deletes the child, and its own job row outlives it with child_id NULL.
ALTER TABLE jobs ADD COLUMN child_id bigint;
CREATE INDEX jobs_child ON jobs (child_id) WHERE child_id IS NOT NULL;

-- An item imported from another setting's export: published as it came, with no original
-- (it cannot be rendered again) and no faces rows.
ALTER TABLE media ADD COLUMN imported_at timestamptz;

-- consent_events stays append-only, but for one case: the purge of a child deletes that
-- child's events, in a transaction that names the child first with
-- set_config('veil.purging_child', <id>, true). The audit log has no such exception.
CREATE FUNCTION consent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.child_id::text = current_setting('veil.purging_child', true) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'consent_events is append-only: % refused', TG_OP;
END $$;
DROP TRIGGER consent_append_only ON consent_events;
CREATE TRIGGER consent_append_only BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();

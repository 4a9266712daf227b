-- 002: enrolment bookkeeping.
-- A single counter that changes whenever enrolment (templates or children's status) changes,
-- so that workers reload their in-memory templates only when needed.
CREATE TABLE enrolment_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  version   bigint NOT NULL DEFAULT 0
);
INSERT INTO enrolment_state VALUES (true, 0);

CREATE FUNCTION enrolment_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE enrolment_state SET version = version + 1;
  RETURN NULL;
END $$;
CREATE TRIGGER face_templates_bump AFTER INSERT OR UPDATE OR DELETE ON face_templates
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_bump();
CREATE TRIGGER children_bump AFTER INSERT OR UPDATE OR DELETE ON children
  FOR EACH STATEMENT EXECUTE FUNCTION enrolment_bump();

-- Names are how staff refer to children and people on the command line.
CREATE UNIQUE INDEX children_name ON children (lower(display_name)) WHERE status <> 'deleted';
CREATE UNIQUE INDEX people_name ON people (lower(display_name));
-- Which face row a consent decision in `faces` relied on is already there; the media row
-- records the enrolment version used.
ALTER TABLE media ADD COLUMN enrolment_version bigint;

-- 030: decisions by people (issue 17). Managers and seniors decide with their accounts; a
-- face decided by a person keeps that decision whenever its item is rendered again.

-- Who decided a face by hand (NULL: the consent policy decided it), when, and whether the box
-- itself was added by hand (a face the detector missed). Kept when the item is rendered again.
ALTER TABLE faces ADD COLUMN decided_by bigint REFERENCES accounts(id);
ALTER TABLE faces ADD COLUMN decided_at timestamptz;
ALTER TABLE faces ADD COLUMN manual boolean NOT NULL DEFAULT false;
ALTER TABLE faces ADD CONSTRAINT faces_decided CHECK ((decided_by IS NULL) = (decided_at IS NULL));

-- moderation.decided_by now names the account that decided, not a person: decisions are
-- made by logging in, and an account is what the audit log names. Altered in place rather
-- than adding a second column because nothing wrote decided_by before this migration (every
-- value is NULL), so no decision loses its author and there stays one column to read.
ALTER TABLE moderation DROP CONSTRAINT moderation_decided_by_fkey;
ALTER TABLE moderation ADD CONSTRAINT moderation_decided_by_fkey FOREIGN KEY (decided_by) REFERENCES accounts(id);
CREATE INDEX moderation_media ON moderation (media_id, id);

-- The size of the photo (or video) as uploaded, in which face boxes are given; set when the
-- item is recorded (NULL for items recorded before).
ALTER TABLE media ADD COLUMN width integer;
ALTER TABLE media ADD COLUMN height integer;
CREATE INDEX media_created ON media (created_at DESC, id DESC);

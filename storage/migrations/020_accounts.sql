-- 020: the accounts of the people who review media (managers, seniors, staff) and their
-- login sessions. Parents have no accounts.

CREATE TABLE accounts (
  id                  bigserial PRIMARY KEY,
  name                text NOT NULL CHECK (name <> ''),
  role                text NOT NULL CHECK (role IN ('manager', 'senior', 'staff')),
  -- The staff member the account belongs to: a staff account sees the children whose
  -- key_person this person is, so it must have one.
  person_id           bigint REFERENCES people(id),
  password_hash       text NOT NULL,  -- libsodium crypto_pwhash_str (argon2id), never the password
  disabled            boolean NOT NULL DEFAULT false,
  failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),  -- since the last success or lockout
  locked_until        timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'staff' OR person_id IS NOT NULL)
);
-- Names are how people log in: unique whatever the case.
CREATE UNIQUE INDEX accounts_name ON accounts (lower(name));

-- A session holds hashes of its cookie token and of its CSRF token, never the tokens: a copy
-- of the table lets nobody act as the account.
CREATE TABLE sessions (
  id           bigserial PRIMARY KEY,
  account_id   bigint NOT NULL REFERENCES accounts(id),
  token_hash   bytea NOT NULL UNIQUE,
  csrf_hash    bytea NOT NULL,
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,  -- absolute end, whatever the activity
  ended_at     timestamptz,           -- logout, password change or disabled account
  client       text                   -- e.g. the client's address and user agent, for login history
);
CREATE INDEX sessions_account ON sessions (account_id, created_at DESC);

-- Up Migration
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stored lowercase so the unique index makes emails unique regardless of case.
  email text NOT NULL CHECK (email = lower(email)),
  password_hash text NOT NULL,
  first_name text NOT NULL,
  last_name text NOT NULL,
  -- AES-256-GCM ciphertext ("keyId:iv:tag:data"); the key id lets old values decrypt after a key rotation.
  phone_encrypted text,
  role text NOT NULL CHECK (role IN ('customer', 'restaurant_owner', 'driver', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One family per login or registration; revoking the family kills every refresh token rotated from it.
CREATE TABLE refresh_token_families (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_token_families_user_id_idx ON refresh_token_families (user_id);
CREATE INDEX refresh_token_families_revoked_at_idx ON refresh_token_families (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE TRIGGER refresh_token_families_set_updated_at BEFORE UPDATE ON refresh_token_families
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Only the SHA-256 of each token is kept: a leaked table cannot be replayed.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id uuid NOT NULL REFERENCES refresh_token_families (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  -- Set when the token is exchanged; a spent token presented again is a theft signal.
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);
CREATE TRIGGER refresh_tokens_set_updated_at BEFORE UPDATE ON refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE addresses (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  label text NOT NULL,
  -- Street, postal code and exact location together pinpoint a home: all three are encrypted like the phone.
  street_encrypted text NOT NULL,
  city text NOT NULL,
  postal_code_encrypted text NOT NULL,
  location_encrypted text NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX addresses_user_id_idx ON addresses (user_id, created_at);
-- At most one default per user; the service keeps it at exactly one while any address exists.
CREATE UNIQUE INDEX addresses_one_default_per_user ON addresses (user_id) WHERE is_default;
CREATE TRIGGER addresses_set_updated_at BEFORE UPDATE ON addresses FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TABLE addresses;
DROP TABLE refresh_tokens;
DROP TABLE refresh_token_families;
DROP TABLE users;

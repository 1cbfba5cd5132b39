-- Issue 9: API tokens expire and can be revoked; staff accounts can be
-- disabled. A disabled account signs in by no means (password, session or
-- token); its sessions are deleted when it is disabled.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN revoked_at timestamptz;
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

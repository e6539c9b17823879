-- Hardened for the open internet (issue 14):
-- - login_failures.updated_at: when an attempt was last counted (the worker
--   purges old rows); attempts are counted per (account, address) and per
--   address, before the password is checked;
-- - api_tokens.expires_at: an optional expiry (NULL: none);
-- - sessions.last_seen_at: for the idle timeout (settings.session_idle_hours,
--   default 12), renewed as the session is used, within the absolute 14 days.
ALTER TABLE login_failures ADD COLUMN updated_at TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
ALTER TABLE settings ADD COLUMN session_idle_hours INTEGER NOT NULL DEFAULT 12;
DELETE FROM login_failures;

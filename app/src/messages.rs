//! Messages that several parts say alike (the server's refusals and the
//! pages' notices).

/// Why procurement is off when no encryption key is configured.
pub const NO_KEY: &str = "Procurement is unavailable: no encryption key is configured. An admin generates one with `server gen-key`, \
sets it as NEXOS_ENCRYPTION_KEY and restarts the server. Purchase orders keep working meanwhile.";

/// Why QuickBooks is off when the server has no Intuit app.
pub const QBO_OFF: &str = "QuickBooks is not set up on this server: the operator registers an Intuit app, \
sets QBO_CLIENT_ID and QBO_CLIENT_SECRET (production companies) and/or QBO_SANDBOX_CLIENT_ID and \
QBO_SANDBOX_CLIENT_SECRET (sandbox companies), see the README, and restarts the server.";

-- +goose Up
-- The tables of pgxstore, in SQLite's types: times are integers of Unix
-- milliseconds, as Clerk sends them, so that the guards compare integers;
-- data is the whole record as JSON text.

-- clerk_users holds one row per Clerk user. A deleted user keeps only id
-- and deleted_at, which is the tombstone that refuses any later upsert of
-- the id.
CREATE TABLE clerk_users (
    id          TEXT PRIMARY KEY,
    email       TEXT,
    first_name  TEXT,
    last_name   TEXT,
    username    TEXT,
    image_url   TEXT,
    phone       TEXT,
    external_id TEXT,
    banned      INTEGER,
    created_at  INTEGER,
    updated_at  INTEGER,
    deleted_at  INTEGER,
    data        TEXT
);

CREATE INDEX clerk_users_email_idx ON clerk_users (email) WHERE email IS NOT NULL;
CREATE INDEX clerk_users_external_id_idx ON clerk_users (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE clerk_organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT,
    slug       TEXT,
    image_url  TEXT,
    created_at INTEGER,
    updated_at INTEGER,
    deleted_at INTEGER,
    data       TEXT
);

-- A membership is keyed by organization and user: Clerk gives a user who
-- leaves and joins again a new membership id. A deleted membership keeps
-- updated_at and deleted_at, so that only a newer version brings it back.
CREATE TABLE clerk_organization_memberships (
    organization_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    id              TEXT,
    role            TEXT,
    created_at      INTEGER,
    updated_at      INTEGER,
    deleted_at      INTEGER,
    data            TEXT,
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX clerk_organization_memberships_user_id_idx ON clerk_organization_memberships (user_id);

-- clerk_webhook_deliveries is the deduplication ledger, keyed by the svix-id
-- header. A row with a null processed_at is a claim still being processed;
-- token names the attempt that holds it.
CREATE TABLE clerk_webhook_deliveries (
    id           TEXT PRIMARY KEY,
    type         TEXT,
    token        TEXT,
    claimed_at   INTEGER NOT NULL,
    processed_at INTEGER
);

CREATE INDEX clerk_webhook_deliveries_claimed_at_idx ON clerk_webhook_deliveries (claimed_at);

-- +goose Up
-- The names are unqualified on purpose: the tables go into the first schema
-- of the search_path, which Migrate sets to the store's schema.

-- clerk_users holds one row per Clerk user. The columns are the fields most
-- services query; data is the whole user as Clerk sent it. A deleted user
-- keeps only id and deleted_at, which is the tombstone that refuses any
-- later upsert of the id.
CREATE TABLE clerk_users (
    id          text PRIMARY KEY,
    email       text,
    first_name  text,
    last_name   text,
    username    text,
    image_url   text,
    phone       text,
    external_id text,
    banned      boolean,
    created_at  timestamptz,
    updated_at  timestamptz,
    deleted_at  timestamptz,
    data        jsonb
);

CREATE INDEX clerk_users_email_idx ON clerk_users (email) WHERE email IS NOT NULL;
CREATE INDEX clerk_users_external_id_idx ON clerk_users (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE clerk_organizations (
    id         text PRIMARY KEY,
    name       text,
    slug       text,
    image_url  text,
    created_at timestamptz,
    updated_at timestamptz,
    deleted_at timestamptz,
    data       jsonb
);

-- A membership is keyed by organization and user: Clerk gives a user who
-- leaves and joins again a new membership id. A deleted membership keeps
-- updated_at and deleted_at, so that only a newer version brings it back.
CREATE TABLE clerk_organization_memberships (
    organization_id text NOT NULL,
    user_id         text NOT NULL,
    id              text,
    role            text,
    created_at      timestamptz,
    updated_at      timestamptz,
    deleted_at      timestamptz,
    data            jsonb,
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX clerk_organization_memberships_user_id_idx ON clerk_organization_memberships (user_id);

-- clerkhook:ledger
-- From here on, the ledger: pgxstore.Ledger.Migrate applies only this part.

-- clerk_webhook_deliveries is the deduplication ledger, keyed by the svix-id
-- header. A row with a null processed_at is a claim still being processed.
CREATE TABLE clerk_webhook_deliveries (
    id           text PRIMARY KEY,
    type         text,
    claimed_at   timestamptz NOT NULL,
    processed_at timestamptz
);

CREATE INDEX clerk_webhook_deliveries_claimed_at_idx ON clerk_webhook_deliveries (claimed_at);

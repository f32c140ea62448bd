-- +goose Up
-- The tables of pgxstore, in MySQL's and MariaDB's types: ids compare byte
-- for byte (utf8mb4_bin), as Clerk's are case-sensitive; times are BIGINT
-- Unix milliseconds, as Clerk sends them; data is the whole record as JSON
-- text, kept as sent (a JSON column of MySQL would reorder its keys).
-- Statements end with a semicolon at the end of a line, where Migrate
-- splits them.

CREATE TABLE clerk_users (
    id          VARCHAR(191) NOT NULL PRIMARY KEY,
    email       VARCHAR(320),
    first_name  TEXT,
    last_name   TEXT,
    username    VARCHAR(191),
    image_url   TEXT,
    phone       VARCHAR(64),
    external_id VARCHAR(191),
    banned      BOOLEAN,
    created_at  BIGINT,
    updated_at  BIGINT,
    deleted_at  BIGINT,
    data        LONGTEXT,
    KEY clerk_users_email_idx (email),
    KEY clerk_users_external_id_idx (external_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE clerk_organizations (
    id         VARCHAR(191) NOT NULL PRIMARY KEY,
    name       TEXT,
    slug       VARCHAR(191),
    image_url  TEXT,
    created_at BIGINT,
    updated_at BIGINT,
    deleted_at BIGINT,
    data       LONGTEXT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- A membership is keyed by organization and user: Clerk gives a user who
-- leaves and joins again a new membership id. A deleted membership keeps
-- updated_at and deleted_at, so that only a newer version brings it back.
CREATE TABLE clerk_organization_memberships (
    organization_id VARCHAR(191) NOT NULL,
    user_id         VARCHAR(191) NOT NULL,
    id              VARCHAR(191),
    role            VARCHAR(191),
    created_at      BIGINT,
    updated_at      BIGINT,
    deleted_at      BIGINT,
    data            LONGTEXT,
    PRIMARY KEY (organization_id, user_id),
    KEY clerk_organization_memberships_user_id_idx (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- clerk_webhook_deliveries is the deduplication ledger, keyed by the svix-id
-- header. A row with a null processed_at is a claim still being processed;
-- token names the attempt that holds it.
CREATE TABLE clerk_webhook_deliveries (
    id           VARCHAR(191) NOT NULL PRIMARY KEY,
    type         VARCHAR(191),
    token        VARCHAR(64),
    claimed_at   BIGINT NOT NULL,
    processed_at BIGINT,
    KEY clerk_webhook_deliveries_claimed_at_idx (claimed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

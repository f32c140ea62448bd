-- +goose Up
-- clerkhook:ledger
-- claim_token holds the token of the attempt that claimed a delivery, so
-- that an attempt whose claim lapsed and was taken over can neither release
-- nor complete the claim of the attempt that took it over. Deliveries
-- recorded in one step with their write, and those claimed before this
-- migration, have none; a claim without a token can only lapse.
ALTER TABLE clerk_webhook_deliveries ADD COLUMN claim_token text;

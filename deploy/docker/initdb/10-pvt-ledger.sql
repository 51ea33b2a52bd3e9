-- The ledger's own database, beside the Dagster instance's (both use Alembic: one database each).
CREATE DATABASE pvt_ledger;

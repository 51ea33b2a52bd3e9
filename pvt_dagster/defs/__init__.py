"""The thin Dagster layer: assets, checks, jobs, sensors and the resource, built from config."""

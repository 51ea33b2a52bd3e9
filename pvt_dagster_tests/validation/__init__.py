"""Tests of the validation package: catalogue, rules, engine and report, for every format."""

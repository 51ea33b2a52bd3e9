"""Tests of the config package: loader, line-numbered errors, config check and JSON Schema."""

"""Tests of the validation package: catalogue, reader and engine."""

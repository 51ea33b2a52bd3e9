"""Tests of the validation package: catalogue, masking, reader and engine."""

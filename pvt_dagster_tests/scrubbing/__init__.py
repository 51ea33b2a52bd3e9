"""Tests of the scrubbing package: actions and the engine with its audit."""

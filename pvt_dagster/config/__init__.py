"""Configuration: the models of ``pvt.yaml`` and the loader that reads it."""

"""Tests of PVT Intake; the folders mirror the package."""

"""Tests of the keystore and decryption."""

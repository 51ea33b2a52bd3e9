"""Tests of the formats package: the chunked CSV readers (strict and fast), fixed width, Excel."""

"""What the source kinds share (sources.base): the clash rule for archived names, the label,
and the one translation of third-party errors."""

from __future__ import annotations

import re

import pytest

from pvt_dagster.config.models import LocalSource
from pvt_dagster.errors import PvtError, SourceEntryGoneError, SourceError
from pvt_dagster.sources.base import BaseSource, archive_names, free_name, numbered


def test_a_taken_name_gets_minus_two_then_three_before_its_first_suffix() -> None:
    """``a.csv.pgp`` -> ``a-2.csv.pgp`` (as file keys get ``-2``); hidden names keep the dot."""
    assert numbered("a.csv.pgp", 1) == "a.csv.pgp"
    assert numbered("a.csv.pgp", 2) == "a-2.csv.pgp"
    assert numbered("README", 3) == "README-3"
    assert numbered(".env", 2) == ".env-2"
    names = archive_names("a.csv")
    assert [next(names) for _ in range(3)] == ["a.csv", "a-2.csv", "a-3.csv"]
    taken = {"done/a.csv", "done/a-2.csv"}
    assert free_name("done", "a.csv", taken.__contains__) == "done/a-3.csv"
    with pytest.raises(SourceError, match="too many clashes"):
        free_name("done", "a.csv", lambda _path: True)


class _Kind(BaseSource[LocalSource]):
    """A kind whose library raises KeyError for a missing entry and ValueError when it fails."""

    def translate_error(self, exc: Exception, action: str, path: str | None) -> PvtError | None:
        if isinstance(exc, KeyError):
            return self.gone(path or "")
        if isinstance(exc, ValueError):
            return SourceError(f"{self.label}: cannot {action} {path!r}: {exc}")
        return None


def test_errors_are_translated_by_the_kinds_mapping_and_others_pass() -> None:
    """Mapped errors become ours (chained), ours pass as they are, unknown ones are re-raised."""
    source = _Kind("drop", LocalSource(kind="local", path="/in", after_transfer="archive:done"),
                   where="here")
    assert source.label == "source drop (here)" and source.archive_destination == "done"
    gone = re.escape("source drop (here): 'a.csv' is gone")
    with pytest.raises(SourceEntryGoneError, match=gone), source.translating("stat", "a.csv"):
        raise KeyError("a.csv")
    failed = re.escape("source drop (here): cannot read 'a.csv': broken")
    with pytest.raises(SourceError, match=failed) as caught, source.translating("read", "a.csv"):
        raise ValueError("broken")
    assert isinstance(caught.value.__cause__, ValueError)
    with pytest.raises(SourceEntryGoneError, match="already ours"), \
            source.translating("read", "a.csv"):
        raise SourceEntryGoneError("already ours")
    with pytest.raises(TypeError), source.translating("read", "a.csv"):
        raise TypeError("a bug, not a source problem")
    keep = _Kind("drop", LocalSource(kind="local", path="/in", after_transfer="keep"))
    assert keep.label == "source drop" and keep.archive_destination is None

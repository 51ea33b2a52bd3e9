"""Uploads into a push area without a server: unsafe names are refused, one name has one
upload at a time (an flock, so other processes too), a published file appears whole in
``incoming/`` and never over a file still waiting, abandoned temp files are swept, and the
push source lists only finished files, ready at their first sighting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pvt_dagster.config.models import ClientConfig, PushSource
from pvt_dagster.errors import PushRefusedError
from pvt_dagster.ledger import Ledger
from pvt_dagster.polling import poll_source
from pvt_dagster.push.area import UploadSlot, name_problem, replaces_existing, sweep_partials
from pvt_dagster.sources import open_source
from pvt_dagster.sources.push import PushArea


@pytest.fixture
def area(tmp_path: Path) -> PushArea:
    """A fresh push area."""
    return PushArea.of(tmp_path / "home", "acme", "uploads").ensure()


def test_unsafe_names_are_refused() -> None:
    assert name_problem("members_1.csv") is None
    assert name_problem("Ünïcode name (1).csv") is None
    for bad in ("", ".", "..", "a/b", "a\\b", ".hidden", "new\nline", "x" * 256):
        assert name_problem(bad) is not None, bad


def test_one_upload_per_name_and_whole_files_only(area: PushArea) -> None:
    slot = UploadSlot.claim(area, "members_1.csv")
    slot.write(b"ssn\n")
    with pytest.raises(PushRefusedError) as busy:
        UploadSlot.claim(area, "members_1.csv")
    assert busy.value.status == 409
    other = UploadSlot.claim(area, "members_2.csv")  # other names are free
    other.discard()
    assert list(area.incoming.iterdir()) == []
    slot.write(b"123-45-6789\n")
    done = slot.publish(replace=False)
    assert (done.bytes, len(done.sha256)) == (16, 64)
    assert (area.incoming / "members_1.csv").read_bytes() == b"ssn\n123-45-6789\n"
    assert list(area.partial.iterdir()) == []
    again = UploadSlot.claim(area, "members_1.csv")  # the name is free again...
    again.write(b"different\n")
    with pytest.raises(PushRefusedError, match="waiting to be taken in"):
        again.publish(replace=False)  # ...but never over the file still waiting
    again.discard()
    assert (area.incoming / "members_1.csv").read_bytes() == b"ssn\n123-45-6789\n"
    assert list(area.partial.iterdir()) == []


def test_a_waiting_file_blocks_a_new_upload_until_the_intake_is_done(
        area: PushArea, tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.upgrade()
    try:
        assert replaces_existing(ledger, area, "acme", "uploads", "members_1.csv") is False
        (area.incoming / "members_1.csv").write_bytes(b"ssn\n1\n")
        with pytest.raises(PushRefusedError, match="waiting"):  # not even listed yet
            replaces_existing(ledger, area, "acme", "uploads", "members_1.csv")
        config = ClientConfig.model_validate({
            "sources": {"uploads": {"kind": "push", "after_transfer": "keep"}},
            "polling": {"quiesce_seconds": 3600},
            "feeds": {"members": {"source": "uploads", "pattern": "members_*.csv",
                                  "decrypt": "none"}}})
        source = open_source("uploads", config.sources["uploads"], area=area)
        result = poll_source(ledger=ledger, client="acme", client_config=config,
                             source_name="uploads", source=source, now=datetime.now(UTC))
        assert [r.name for r in result.ready] == ["members_1.csv"]  # at first sight
        with pytest.raises(PushRefusedError, match="waiting"):  # discovered, not done
            replaces_existing(ledger, area, "acme", "uploads", "members_1.csv")
        ledger.transition_file(result.ready[0].key, from_status=("discovered",),
                               status="delivered")
        assert replaces_existing(ledger, area, "acme", "uploads", "members_1.csv") is True
    finally:
        ledger.close()


def test_the_push_source_lists_only_incoming(area: PushArea) -> None:
    source = open_source("uploads", PushSource(kind="push", after_transfer="delete"), area=area)
    slot = UploadSlot.claim(area, "members_9.csv")
    slot.write(b"partial")
    assert source.list_entries() == []
    slot.publish(replace=False)
    assert [e.name for e in source.list_entries()] == ["members_9.csv"]
    assert getattr(source, "delivers_whole_files", False) is True
    assert area.root.stat().st_mode & 0o777 == 0o700


def test_abandoned_temp_files_are_swept_but_not_live_ones(area: PushArea) -> None:
    (area.partial / "members_dead.csv").write_bytes(b"left by a killed server")
    live = UploadSlot.claim(area, "members_live.csv")
    live.write(b"still coming")
    assert sweep_partials(area) == 1
    assert [p.name for p in area.partial.iterdir()] == ["members_live.csv"]
    live.discard()
    assert list(area.partial.iterdir()) == []

"""The daily CSV target: one header, rows tagged by file key, reruns replace, locks serialise."""

from __future__ import annotations

import csv
import stat
import threading
from datetime import date
from pathlib import Path

import pytest

from pvt_dagster.delivery import KEY_COLUMN, deliver_daily_csv
from pvt_dagster.errors import DeliveryError

DAY = date(2024, 3, 5)


def scrubbed(tmp_path: Path, name: str, rows: list[list[str]],
             header: tuple[str, ...] = ("ssn", "name")) -> Path:
    """A scrubbed CSV file with ``header`` and ``rows``."""
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read(path: Path) -> list[list[str]]:
    """Every row of a CSV file, header first."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_header_once_then_second_key_appended(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = scrubbed(tmp_path, "a.csv", [["123456789", "Ann"], ["987654321", "Bo, Jr."]])
    got = deliver_daily_csv(first, target_dir=out, feed="members", day=DAY, file_key="acme/m/1")
    assert got.path == out / "members_2024-03-05.csv"
    assert got.rows == 2 and got.bytes > 0 and got.seconds >= 0
    second = scrubbed(tmp_path, "b.csv", [["111223333", "Çé"]])
    deliver_daily_csv(second, target_dir=out, feed="members", day=DAY, file_key="acme/m/2")
    assert read(got.path) == [
        ["ssn", "name", KEY_COLUMN],
        ["123456789", "Ann", "acme/m/1"],
        ["987654321", "Bo, Jr.", "acme/m/1"],
        ["111223333", "Çé", "acme/m/2"],
    ]
    assert stat.S_IMODE(got.path.stat().st_mode) == 0o600
    assert sorted(p.name for p in out.iterdir()) == [".members_2024-03-05.csv.lock",
                                                     "members_2024-03-05.csv"]


def test_rerun_replaces_rows_of_that_key(tmp_path: Path) -> None:
    out = tmp_path / "out"
    a = scrubbed(tmp_path, "a.csv", [["1", "a"], ["2", "b"]])
    b = scrubbed(tmp_path, "b.csv", [["3", "c"]])
    deliver_daily_csv(a, target_dir=out, feed="members", day=DAY, file_key="k1")
    deliver_daily_csv(b, target_dir=out, feed="members", day=DAY, file_key="k2")
    target = out / "members_2024-03-05.csv"
    before = target.read_bytes()
    deliver_daily_csv(b, target_dir=out, feed="members", day=DAY, file_key="k2")
    assert target.read_bytes() == before  # identical rerun, no doubled rows
    a2 = scrubbed(tmp_path, "a2.csv", [["1", "A"]])
    got = deliver_daily_csv(a2, target_dir=out, feed="members", day=DAY, file_key="k1")
    assert got.rows == 1
    assert read(target)[1:] == [["3", "c", "k2"], ["1", "A", "k1"]]


def test_other_days_and_feeds_are_separate_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    a = scrubbed(tmp_path, "a.csv", [["1", "a"]])
    deliver_daily_csv(a, target_dir=out, feed="members", day=DAY, file_key="k1")
    deliver_daily_csv(a, target_dir=out, feed="members", day=date(2024, 3, 6), file_key="k1")
    deliver_daily_csv(a, target_dir=out, feed="claims", day=DAY, file_key="k1")
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "claims_2024-03-05.csv", "members_2024-03-05.csv", "members_2024-03-06.csv"]


def test_different_header_is_refused_and_target_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    a = scrubbed(tmp_path, "a.csv", [["1", "a"]])
    deliver_daily_csv(a, target_dir=out, feed="members", day=DAY, file_key="k1")
    target = out / "members_2024-03-05.csv"
    before = target.read_bytes()
    other = scrubbed(tmp_path, "o.csv", [["1", "a", "x"]], header=("ssn", "name", "phone"))
    with pytest.raises(DeliveryError, match=r"different header.*missing \['phone'\]"):
        deliver_daily_csv(other, target_dir=out, feed="members", day=DAY, file_key="k2")
    assert target.read_bytes() == before
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".lock")) == [target.name]


def test_bad_inputs_are_delivery_errors(tmp_path: Path) -> None:
    out = tmp_path / "out"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DeliveryError, match="no header"):
        deliver_daily_csv(empty, target_dir=out, feed="members", day=DAY, file_key="k")
    ragged = scrubbed(tmp_path, "r.csv", [["1", "a"], ["2"]])
    with pytest.raises(DeliveryError, match="line 3: 1 fields"):
        deliver_daily_csv(ragged, target_dir=out, feed="members", day=DAY, file_key="k")
    assert not (out / "members_2024-03-05.csv").exists()
    clash = scrubbed(tmp_path, "c.csv", [["1"]], header=(KEY_COLUMN,))
    with pytest.raises(DeliveryError, match=KEY_COLUMN):
        deliver_daily_csv(clash, target_dir=out, feed="members", day=DAY, file_key="k")
    latin = tmp_path / "l.csv"
    latin.write_bytes(b"ssn,name\n1,\xe9\n")
    with pytest.raises(DeliveryError, match="UTF-8"):
        deliver_daily_csv(latin, target_dir=out, feed="members", day=DAY, file_key="k")
    assert [p.name for p in out.iterdir() if not p.name.endswith(".lock")] == []


def test_concurrent_deliveries_lose_no_rows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [scrubbed(tmp_path, f"f{i}.csv", [[str(i), str(n)] for n in range(200)])
             for i in range(8)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            deliver_daily_csv(files[i], target_dir=out, feed="members", day=DAY,
                              file_key=f"k{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = read(out / "members_2024-03-05.csv")
    assert rows[0] == ["ssn", "name", KEY_COLUMN]
    assert len(rows) == 1 + 8 * 200
    assert {r[2] for r in rows[1:]} == {f"k{i}" for i in range(8)}

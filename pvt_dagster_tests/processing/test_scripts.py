"""The processing manager without Dagster or a ledger: the built-in scripts against hand
computations, the output contract, the readers (text columns, errors that never quote a row)
and the runner's translation of a script's errors (masked, named)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pvt_dagster.config.jobs import OutputColumn
from pvt_dagster.errors import ContractError, ProcessingError, ScriptError
from pvt_dagster.processing import load_script, read_text_csv, run_script
from pvt_dagster.processing.builtins import merge, split_by, zscore


def test_zscore_matches_a_hand_computation() -> None:
    frame = pd.DataFrame({"isin": ["a", "b", "c"], "nav": ["1", "2", "6"]})
    out = zscore({"in": frame}, {"column": "nav", "to": "z"})
    std = math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 3)  # mean 3, population std
    assert list(out["z"]) == pytest.approx([-2 / std, -1 / std, 3 / std])
    assert out["nav"].dtype == "float64" and list(frame["nav"]) == ["1", "2", "6"]
    flat = zscore({"in": pd.DataFrame({"nav": ["5", "5"]})}, {"column": "nav"})
    assert list(flat["zscore"]) == [0.0, 0.0]


def test_zscore_refuses_text_without_quoting_it() -> None:
    frame = pd.DataFrame({"nav": ["1", "123-45-6789"]})
    with pytest.raises(ProcessingError) as caught:
        zscore({"in": frame}, {"column": "nav"})
    assert str(caught.value) == ("zscore: column nav has 1 value(s) that are not numbers "
                                 "(first in data row 2)")


def test_merge_keeps_the_earliest_time_of_both_sides() -> None:
    a = pd.DataFrame({"isin": ["x", "y"], "nav": [1.0, 2.0],
                      "time_started": ["2026-01-01T10:00:00.000000Z"] * 2})
    b = pd.DataFrame({"isin": ["y", "z"], "nav": [3.0, 4.0],
                      "time_started": ["2026-01-01T09:00:00.000000Z",
                                       "2026-01-01T11:00:00.000000Z"]})
    out = merge({"a": a, "b": b}, {"on": "isin", "earliest": "time_started"}).set_index("isin")
    assert list(out.columns) == ["nav", "time_started", "nav_b"]
    assert out.loc["x", "time_started"] == "2026-01-01T10:00:00.000000Z"  # only in A
    assert out.loc["y", "time_started"] == "2026-01-01T09:00:00.000000Z"  # B's is earlier
    assert out.loc["z", "time_started"] == "2026-01-01T11:00:00.000000Z"  # only in B
    inner = merge({"a": a, "b": b}, {"on": "isin", "how": "inner", "suffixes": ["_a", "_b"]})
    assert list(inner.columns) == ["isin", "nav_a", "time_started_a", "nav_b",
                                   "time_started_b"]
    with pytest.raises(ProcessingError, match="input b has no column code"):
        merge({"a": a.rename(columns={"isin": "code"}), "b": b}, {"on": "code"})


def test_split_by_refuses_values_that_share_a_file_name() -> None:
    frame = pd.DataFrame({"form": ["A B", "A_B", None], "v": [1, 2, 3]})
    with pytest.raises(ProcessingError, match="share the file name A_B"):
        split_by({"in": frame}, {"column": "form"})
    parts = split_by({"in": frame.iloc[1:]}, {"column": "form"})
    assert sorted(parts) == ["A_B", "blank"]


def test_the_contract_names_every_problem() -> None:
    frame = pd.DataFrame({"isin": ["a", None], "nav": ["1", "2"]})
    script = load_script("builtin:add_timestamp")
    columns = {"isin": OutputColumn(dtype="string", non_null=True),
               "nav": OutputColumn(dtype="float"), "zscore": OutputColumn()}
    with pytest.raises(ContractError) as caught:
        run_script(script, {"in": frame}, {}, columns, job="c/j")
    assert str(caught.value) == ("job c/j: output breaks its columns contract: column isin has "
                                 "1 null value(s); column nav should be float but is object; "
                                 "column zscore is missing")


def test_a_third_party_error_is_masked_and_named() -> None:
    def broken(frames: object, options: object) -> pd.DataFrame:
        return pd.DataFrame({"a": [1]}).astype({"a": "datetime64[ns]"}).merge(
            pd.DataFrame({"b": ["Jane 555-123-4567"]}), on="Jane 555-123-4567")

    script = load_script("builtin:add_timestamp")
    script = type(script)("mod:broken", broken, builtin=False)
    with pytest.raises(ScriptError) as caught:
        run_script(script, {}, {}, {}, job="c/j")
    text = str(caught.value)
    assert text.startswith("script mod:broken raised KeyError: ")
    assert "Jane" not in text and "555-123-4567" not in text


def test_readers_keep_text_and_never_quote_a_row(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("member_id,nav\n000123,1.5\n000124,\n", encoding="utf-8")
    frame = read_text_csv(good, label="nav_a")
    assert list(frame["member_id"]) == ["000123", "000124"]  # leading zeros stay
    assert frame["nav"].isna().tolist() == [False, True]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n123-45-6789,x,extra\n", encoding="utf-8")
    with pytest.raises(ProcessingError) as caught:
        read_text_csv(bad, label="nav_a")
    assert "123-45-6789" not in str(caught.value)
    assert "Expected 2 columns, got 3" in str(caught.value)

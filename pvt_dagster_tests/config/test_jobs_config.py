"""Processing jobs in ``pvt.yaml``: the shape (script, input or inputs, options of built-ins,
unknown keys) and ``pvt config check``'s checks of the job graph (cycles, unknown inputs, a
daily job fed by nothing, names shared with feeds, per_file over different feeds) and of
custom scripts (they must import), each error on its line."""

from __future__ import annotations

from pathlib import Path

from pvt_dagster.cli.config_check import check_config
from pvt_dagster.config import load_config

HEAD = """\
home: home
clients:
  funds:
    sources:
      drop: {kind: local, path: inbox, after_transfer: keep}
    feeds:
      nav_a: {source: drop, pattern: "a_*.csv", decrypt: none}
      nav_b: {source: drop, pattern: "b_*.csv", decrypt: none}
    jobs:
"""


def _check(tmp_path: Path, jobs: str) -> list[tuple[int | None, str, str]]:
    path = tmp_path / "pvt.yaml"
    path.write_text(HEAD + jobs, encoding="utf-8")
    return [(i.line, i.key, i.message) for i in check_config(path).errors]


def test_a_good_job_graph_loads(tmp_path: Path) -> None:
    path = tmp_path / "pvt.yaml"
    path.write_text(HEAD + """\
      stamp_a: {script: "builtin:add_timestamp", input: nav_a}
      merged:
        script: builtin:merge
        inputs: [stamp_a, nav_b, {folder: extra, pattern: "*.csv"}]
        options: {on: isin, earliest: time_started}
        partition: daily
        dir: out
        columns: {isin: {dtype: string, non_null: true}}
""", encoding="utf-8")
    config = load_config(path)
    merged = config.job("funds", "merged")
    assert merged.config.dir == tmp_path / "out"
    assert merged.config.all_inputs[2].folder == tmp_path / "extra"  # type: ignore[union-attr]
    assert [j.qualified_name for j in config.jobs()] == ["funds/stamp_a", "funds/merged"]
    assert check_config(path).errors == []


def test_graph_errors_are_placed_on_their_lines(tmp_path: Path) -> None:
    errors = _check(tmp_path, """\
      one: {script: "builtin:add_timestamp", input: two}
      two: {script: "builtin:add_timestamp", input: one}
      nav_b: {script: "builtin:add_timestamp", input: nav_a}
      lost: {script: "builtin:add_timestamp", input: nav_c}
      empty: {script: "builtin:add_timestamp", inputs: [], partition: daily}
""")
    assert errors == [
        (10, "clients.funds.jobs.one", "jobs form a cycle: one -> two -> one"),
        (12, "clients.funds.jobs.nav_b", "job nav_b has the name of a feed: jobs and feeds "
                                          "of a client share one namespace"),
        (13, "clients.funds.jobs.lost.input", "input 'nav_c' is neither a feed nor a job of "
                                               "this client"),
        (14, "clients.funds.jobs.empty.inputs", "a daily job fed by nothing: give it an input "
                                                 "(a feed, a job or {folder: PATH, pattern: "
                                                 "GLOB})"),
    ]


def test_a_per_file_job_cannot_mix_feeds(tmp_path: Path) -> None:
    errors = _check(tmp_path, """\
      mixed:
        script: builtin:merge
        inputs: [nav_a, nav_b]
        options: {on: isin}
""")
    assert errors == [(10, "clients.funds.jobs.mixed.partition",
                       "a per_file job reads inputs of one feed's files; to combine different "
                       "feeds, folders or jobs use partition: daily")]


def test_shape_errors(tmp_path: Path) -> None:
    errors = _check(tmp_path, """\
      a: {script: "builtin:zscore", input: nav_a}
      b: {script: "builtin:nope", input: nav_a}
      c: {script: "not a ref", input: nav_a}
      d: {script: "builtin:split_by", input: nav_a, options: {column: form}}
      e: {script: "builtin:merge", input: nav_a, inputs: [nav_b], options: {on: isin}}
      f: {script: "builtin:add_timestamp", input: nav_a, parition: daily}
""")
    assert errors == [
        (10, "clients.funds.jobs.a", "options of builtin:zscore: column is required"),
        (11, "clients.funds.jobs.b.script", "unknown built-in script 'nope' (known: "
                                             "add_timestamp, merge, split_by, zscore)"),
        (12, "clients.funds.jobs.c.script", "script 'not a ref' is neither builtin:NAME nor "
                                             "package.module:function"),
        (13, "clients.funds.jobs.d", "builtin:split_by writes daily CSVs: give it a dir"),
        (14, "clients.funds.jobs.e", "give input or inputs, not both"),
        (15, "clients.funds.jobs.f.parition", "unknown key 'parition' (did you mean "
                                               "'partition'?)"),
    ]


def test_custom_scripts_must_import(tmp_path: Path) -> None:
    errors = _check(tmp_path, """\
      gone: {script: "no_such_package.logic:run", input: nav_a}
      nofn: {script: "pvt_dagster_tests.processing.scripts:no_such_function", input: nav_a}
      fine: {script: "pvt_dagster_tests.processing.scripts:nav_in_cents", input: nav_a}
""")
    assert errors == [
        (10, "clients.funds.jobs.gone.script",
         "script no_such_package.logic:run: module no_such_package.logic does not import "
         "(no module named no_such_package)"),
        (11, "clients.funds.jobs.nofn.script",
         "script pvt_dagster_tests.processing.scripts:no_such_function: module "
         "pvt_dagster_tests.processing.scripts has no function no_such_function"),
    ]


def test_the_funds_example_passes_config_check() -> None:
    path = Path(__file__).resolve().parents[2] / "examples" / "funds.yaml"
    report = check_config(path)
    assert report.errors == [] and report.warnings == []
    assert report.config is not None
    assert [j.name for j in report.config.jobs()] == ["stamp_a", "stamp_b", "zscore_a",
                                                      "zscore_b", "merged", "folder_pair"]

"""How files and stages are named in the orchestrator's UI (a leaf module: plain strings, so the
Dagster layer and the messages that link to it agree without importing each other).

- A feed stage's asset key is ``[client, feed, "<feed>_<stage>"]``: the UI labels a node by the
  last part of its key, so every node says which feed it belongs to (``members_validated``).
- A file's partition is its file key told the way a person reads it: the file's name first, then
  when it was first seen (``members_2026-11-23.csv.pgp@20261202T042446Z``), without the
  ``client/feed/`` prefix the partitions definition already implies. Runs still carry the full
  file key as their ``pvt/file`` tag."""

from __future__ import annotations

_STAMP = len("20261202T042446Z")


def stage_asset_path(client: str, feed: str, stage: str) -> list[str]:
    """``[client, feed, "<feed>_<stage>"]``."""
    return [client, feed, f"{feed}_{stage}"]


def stage_of(name: str) -> str:
    """The stage of a feed stage's asset name, op or step key (``..._validated``)."""
    return name.rsplit("_", 1)[-1]


def partition_key(file_key: str) -> str:
    """A file's partition: ``<name slug>[-n]@<first seen>``."""
    last = file_key.rsplit("/", 1)[-1]
    stamp, rest = last[:_STAMP], last[_STAMP + 1:]
    return f"{rest}@{stamp}" if rest and last[_STAMP:_STAMP + 1] == "-" else last


def file_key_of(feed: str, partition: str) -> str:
    """The file key of a partition of feed ``client/feed``."""
    rest, at, stamp = partition.rpartition("@")
    last = f"{stamp}-{rest}" if at and len(stamp) == _STAMP else partition
    return f"{feed}/{last}"

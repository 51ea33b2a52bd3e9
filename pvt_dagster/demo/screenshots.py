"""The demo's story in the Dagster UI, page by page: ``UiTour`` drives Debian's Chromium
(Playwright with ``executable_path``, never a downloaded browser) through the runs list, the
global asset lineage, the blocked file's ``scrubbed`` partition, the failing check's masked
samples, the blocked run's failure and the dispatch sensor's tick log, keeping each page's text
(and, when asked, a screenshot). The browser tests assert on that text
(pvt_dagster_tests/test_ui_browser.py); ``make screenshots`` (``python -m
pvt_dagster.demo.screenshots docs/screenshots``) refreshes the README's pictures from a fresh
demo."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Locator, Page, sync_playwright

from pvt_dagster.demo.running import FileRun, RunningDemo, running_demo

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1600, "height": 1000}
FEED = "acme/members"
STAGES = ("raw", "decrypted", "validated", "scrubbed", "delivered")
REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 120_000  # the machine may be slow: pages wait up to two minutes for their text


class UiTour:
    """The pages a reader visits, each kept as its visible text in ``visited``."""

    def __init__(self, page: Page, demo: RunningDemo, shots: Path | None = None) -> None:
        self.page, self.demo, self.shots = page, demo, shots
        self.visited: dict[str, str] = {}

    def _wait_for(self, texts: list[str], scope: str = "document.body") -> None:
        self.page.wait_for_function(
            f"(texts) => {{ const el = {scope}; return !!el && "
            "texts.every((t) => el.innerText.includes(t)); }", arg=texts, timeout=WAIT_MS)

    def _keep(self, name: str, extra: str = "", settle_ms: int = 1500) -> str:
        text = self.page.inner_text("body") + extra
        self.visited[name] = text
        if self.shots is not None:
            self.page.wait_for_timeout(settle_ms)  # dialogs fade in, statuses load after names
            self.shots.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.shots / f"{name}.png"))
        return text

    def _open(self, path: str, texts: list[str]) -> None:
        self.page.goto(self.demo.url + path)
        self._wait_for(texts)

    def runs_list(self) -> str:
        """The runs list: one run per file, each named by its partition (the file's name)."""
        self._open("/runs", [run.partition for run in self.demo.runs.values()])
        return self._keep("runs")

    def lineage(self) -> str:
        """The global asset lineage: every node named ``<feed>_<stage>``."""
        self._open("/asset-groups", [f"members_{stage}" for stage in STAGES])
        return self._keep("lineage", settle_ms=8000)

    def blocked_partition(self, run: FileRun) -> str:
        """The blocked file's ``scrubbed`` partition: its observation says what blocked it."""
        self._open(f"/assets/{FEED}/members_scrubbed?view=events&partition={quote(run.partition)}",
                   ["blocked_by", "not run: blocked by"])
        return self._keep("blocked-file")

    def check_samples(self, run: FileRun, check: str = "ssn__pattern") -> str:
        """The failing check's evaluation for the blocked file, with its masked samples."""
        self._open(f"/assets/{FEED}/members_validated?view=checks&checkDetail={check}",
                   [check, "Execution history"])
        self.page.get_by_text("Execution history", exact=True).click()
        row = self.page.locator("tr", has_text=run.partition)
        row.get_by_text("Failed").wait_for(timeout=WAIT_MS)
        row.locator("button").last.click()
        dialog = self.page.get_by_role("dialog")
        _row_of(dialog, "samples_masked").get_by_text("[Show JSON]").click()
        self._wait_for(['[\n  "***'])  # the samples' JSON, in a dialog over the metadata
        dialogs = "\n".join(self.page.get_by_role("dialog").all_inner_texts())
        return self._keep("check-samples", "\n" + dialogs)

    def run_failure(self, run: FileRun) -> str:
        """The blocked file's run, its log filtered to the step's and the run's failure."""
        self._open(f"/runs/{run.run_id}?logs=type:STEP_FAILURE", ["STEP_FAILURE", "blocked by"])
        step = self._keep("run-step-failure")
        self._open(f"/runs/{run.run_id}?logs=type:RUN_FAILURE", ["RUN_FAILURE", "blocked by"])
        return step + "\n" + self._keep("run-failure")

    def sensor_ticks(self, sensor: str = "pvt__dispatch", tries: int = 20) -> str:
        """The dispatch sensor's ticks, with the log of the latest tick that sent something
        (else of the latest tick)."""
        self._open(f"/locations/pvt_dagster/sensors/{sensor}", ["View logs"])
        logs = self.page.get_by_text("View logs", exact=True)
        for index in range(min(tries, logs.count())):
            if re.search(r"\bsent [1-9]", self._tick_log(logs.nth(index))):
                break
            self.page.get_by_role("button", name="Done").click()
            self.page.get_by_role("dialog").wait_for(state="hidden", timeout=WAIT_MS)
        else:
            self._tick_log(logs.first)
        return self._keep("sensor-ticks", "\n" + self.page.get_by_role("dialog").inner_text())

    def _tick_log(self, button: Locator) -> str:
        button.click()
        self._wait_for(["routed "])
        return self.page.get_by_role("dialog").inner_text()

    def all_pages(self) -> dict[str, str]:
        """Visit every page of the tour; the text of each."""
        failing = self.demo.runs["failing"]
        self.runs_list()
        self.lineage()
        self.blocked_partition(failing)
        self.check_samples(failing)
        self.run_failure(failing)
        self.sensor_ticks()
        return self.visited


def _row_of(scope: Locator, label: str) -> Locator:
    """The metadata table row labelled ``label``."""
    return scope.locator("tr", has_text=label).first


def tour(demo: RunningDemo, shots: Path | None = None) -> dict[str, str]:
    """Drive Chromium through the demo's pages at 1600x1000; each page's text, by name."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": VIEWPORT["width"],
                                              "height": VIEWPORT["height"]})
            return UiTour(page, demo, shots).all_pages()
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    """``make screenshots``: run a fresh demo and save its pages as PNGs into the folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="where the PNGs go (docs/screenshots)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    workspace = REPO / "workspace.yaml"
    with tempfile.TemporaryDirectory(prefix="pvt-shots-") as tmp, \
            running_demo(Path(tmp) / "demo",
                         workspace=workspace if workspace.exists() else None) as demo:
        pages = tour(demo, shots=args.out)
    for name in pages:
        print(f"wrote {args.out / name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

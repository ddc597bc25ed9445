"""The dashboard in a real headless Chromium, served by a real ``headrace ui`` process.

Every page opens with its charts drawn; the lineage is followed by clicks from the
production model to its data snapshot and on to every model trained on it; a model is
promoted with the key; and no page logs a console error. Screenshots go to
``tests/ui/artifacts/`` (or ``$HEADRACE_ARTIFACTS``).

Needs the ``playwright`` package (the dev extra) and Debian's ``chromium``
(``scripts/ci_browser.sh`` installs it). Without them the tests are skipped, unless
``HEADRACE_REQUIRE_BROWSER=1`` (set by CI), which makes a missing browser a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from headrace.store import Store
from tests.ui.conftest import API_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Set to 1 (CI does) to fail, rather than skip, when the browser cannot run.
REQUIRE_VARIABLE = "HEADRACE_REQUIRE_BROWSER"
#: Where screenshots go (default: tests/ui/artifacts).
ARTIFACTS_VARIABLE = "HEADRACE_ARTIFACTS"
#: Longest wait for anything in a page (milliseconds).
WAIT_MS = 20_000


def find_chromium() -> str | None:
    """Debian's chromium (``HEADRACE_CHROMIUM`` overrides), or ``None``."""
    explicit = os.environ.get("HEADRACE_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


@pytest.fixture(scope="module")
def chromium() -> str:
    """The browser binary; skips (or fails, under HEADRACE_REQUIRE_BROWSER=1) when there is none."""
    problems = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problems.append("the playwright package (pip install -e '.[dev]')")
    path = find_chromium()
    if path is None:
        problems.append("Debian's chromium (bash scripts/ci_browser.sh, or apt-get install chromium)")
    if problems:
        message = "the browser tests need " + " and ".join(problems)
        if os.environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{message}; {REQUIRE_VARIABLE}=1 requires them", pytrace=False)
        pytest.skip(message)
    assert path is not None
    return path


@pytest.fixture(scope="module")
def artifacts() -> Path:
    folder = Path(os.environ.get(ARTIFACTS_VARIABLE) or Path(__file__).parent / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveDashboard:
    url: str
    project: Path


@pytest.fixture(scope="module")
def dashboard(
    chromium: str, built: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveDashboard]:
    """``headrace ui`` on a copy of the built project, on 127.0.0.1, with an API key."""
    project = tmp_path_factory.mktemp("browser") / "spam"
    shutil.copytree(built, project)
    port = _free_port()
    command = [sys.executable, "-c", "from headrace.cli.ui_cmds import ui; ui()", "-p", str(project)]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "HEADRACE_API_KEY": API_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"headrace ui exited with {process.returncode}: {output}")
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("headrace ui did not answer /healthz within 60 s")
            time.sleep(0.1)
        yield LiveDashboard(url, project)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Session:
    """A browser tab on the dashboard that records every console error, page error and failed load."""

    page: Page
    base: str
    folder: Path
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, (path, None if response is None else response.status)

    def wait_for_charts(self, count: int) -> None:
        """Wait until ``count`` Plotly charts are drawn (ui.js marks each one)."""
        if count:
            self.page.wait_for_function(
                f"document.querySelectorAll('[data-drawn=true]').length >= {count}", timeout=WAIT_MS
            )
        assert self.page.locator("[data-figure]").count() == count

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


@pytest.fixture
def session(browser: Browser, dashboard: LiveDashboard, artifacts: Path) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    tab = Session(page, dashboard.url, artifacts)

    def console(message: Any) -> None:
        if message.type == "error":
            tab.errors.append(f"console: {message.text} ({page.url})")

    page.on("console", console)
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error} ({page.url})"))
    page.on("requestfailed", lambda request: tab.errors.append(f"failed: {request.url} {request.failure}"))
    try:
        yield tab
    finally:
        context.close()


def test_every_page_opens_with_its_charts_and_logs_no_error(
    session: Session, dashboard: LiveDashboard
) -> None:
    with Store.for_project(dashboard.project) as store:
        label_run = store.runs.recent(kind="label", limit=1)[0]
        snapshot = label_run.inputs["snapshot"]
    pages = [
        ("/", "youtube-spam", 0, "overview"),
        ("/lfs", "Labeling functions", 1, "lfs"),
        ("/lfs/long_comment", "LF long_comment", 0, "lf"),
        ("/runs", "Runs", 0, "runs"),
        (f"/runs/{label_run.id}", "label run", 0, "run"),
        (f"/objects/{snapshot}", "snapshot: unlabeled", 0, "snapshot"),
        ("/models", "Models", 0, "models"),
        ("/models/1", "Model v1", 2, "model"),
        ("/models/1/lineage", "Lineage of model v1", 0, "lineage"),
        ("/monitoring", "Monitoring", 3, "monitoring"),
    ]
    for path, heading, charts, name in pages:
        session.open(path)
        assert heading in session.page.locator("h1").inner_text(), path
        session.wait_for_charts(charts)
        session.shot(name)

    assert session.errors == []


def test_lineage_is_followed_by_clicks_from_the_production_model_to_its_snapshot(session: Session) -> None:
    from playwright.sync_api import expect

    page = session.page
    session.open("/")
    served = page.locator("#served-model p.big a")
    version = served.inner_text()  # e.g. "v1"
    served.click()
    page.wait_for_url(f"**/models/{version[1:]}")

    page.click("#lineage-link")
    page.wait_for_url("**/lineage")
    # The model, its training labels, 2 label matrices, 2 snapshots and 12 LF versions.
    expect(page.locator("svg#lineage-graph a.node")).to_have_count(18)

    # Each click navigates; expect() waits for the new page rather than reading the old one.
    heading = page.locator("h1")
    page.click('svg#lineage-graph a[data-kind="training_labels"]')
    expect(heading).to_have_text(re.compile("^training labels"))
    expect(page.locator("#made-by")).to_contain_text("label_model run")

    page.click('#producer-inputs li:has(.role:text-is("label_matrix")) a')
    expect(heading).to_have_text(re.compile("^label matrix"))
    # The LF versions the labels came from.
    expect(page.locator('#producer-inputs li:has(.role:text-matches("^lf:")) a')).to_have_count(12)

    page.click('#producer-inputs li:has(.role:text-is("snapshot")) a')
    expect(heading).to_have_text(re.compile("^snapshot: unlabeled"))
    models = page.locator("#models-from-it a.model-version")
    expect(models).to_have_count(2)
    assert sorted(models.all_inner_texts()) == ["model v1", "model v2"]
    session.shot("lineage-snapshot")

    page.click('#models-from-it a.model-version:text-is("model v2")')
    expect(heading).to_have_text(re.compile("^Model v2"))

    # From the graph to an LF version, and on to what that LF does.
    session.open(f"/models/{version[1:]}/lineage")
    page.click('svg#lineage-graph a[data-kind="lf"] >> nth=0')
    expect(heading).to_have_text(re.compile("^LF "))
    page.click("text=rows it fires on")
    expect(page.locator("#fires-table tbody tr").first).to_be_visible()

    assert session.errors == []


def test_lf_table_sorts_when_a_header_is_clicked(session: Session) -> None:
    page = session.page
    session.open("/lfs")
    page.click('#lf-table a[data-sort="coverage"]')
    page.wait_for_url("**sort=coverage**")

    cells = page.locator("#lf-table tbody tr td:nth-child(3)").all_inner_texts()
    coverages = [float(cell.rstrip("%")) for cell in cells]
    assert len(coverages) == 12
    assert coverages == sorted(coverages, reverse=True)
    assert session.errors == []


def test_a_model_is_promoted_with_the_key_and_a_confirmation(
    session: Session, dashboard: LiveDashboard
) -> None:
    from playwright.sync_api import expect

    page = session.page
    session.open("/models/2")
    page.fill("#promote-alias", "production")
    page.fill("#promote-key", "not the key")
    page.check("#promote-confirm")
    page.click("#promote-button")
    expect(page.locator(".problem")).to_contain_text("wrong API key")
    # The refusal is a 401 page: its status is logged by the browser, not an error of ours.
    session.errors = [e for e in session.errors if "status of 401" not in e]

    page.fill("#promote-alias", "production")
    page.fill("#promote-key", API_KEY)
    page.fill("#promote input[name=reason]", "better on slices")
    page.check("#promote-confirm")
    page.click("#promote-button")
    page.wait_for_url("**/models/2?moved=*")
    expect(page.locator(".notice")).to_contain_text("production now points at v2 (was v1)")
    session.shot("promoted")

    session.open("/")
    assert page.locator("#served-model p.big a").inner_text() == "v2"
    with Store.for_project(dashboard.project) as store:
        from headrace.registry import get_version

        assert get_version(store, "production").version == 2
    assert session.errors == []

"""A student's JupyterLab, in a real (headless) browser.

JupyterLab runs on 127.0.0.1 with a completed copy of the student notebook 04 (the release with
the solution code typed into the exercise cells). Headless Chromium (Debian's ``chromium``,
driven by the ``playwright`` package; no browser download) opens it, runs all cells, finds the
attention explorer's controls, changes the query token and checks that the heatmap redraws, and
saves a screenshot to ``build/screenshots/``. Then nbgrader's own Validate button must report
that the notebook passes its tests, and that a wrong answer fails; and the completed notebook 08
(without its training cells) must pass Validate too.

Skipped, with the reason, where Chromium or playwright is missing; ``.ci/run`` installs both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, completed_student_notebook, free_port, stop_process_group

from autograder.course import Course
from autograder.preprocessors import is_demo

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASSIGNMENT = "04_self_attention"
SCREENSHOTS = REPO / "build" / "screenshots"

if not CHROMIUM.is_file():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the "
        "browser test",
        allow_module_level=True,
    )
playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install playwright)"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab server on 127.0.0.1 serving a folder with the completed notebook."""
    root = tmp_path_factory.mktemp("lab")
    work = root / "work"
    work.mkdir()
    nbformat.write(
        completed_student_notebook(Course(REPO), ASSIGNMENT), str(work / f"{ASSIGNMENT}.ipynb")
    )
    port, token = free_port(), "coursetest"
    env = {k: v for k, v in os.environ.items() if k not in ("JPY_PARENT_PID", "MPLBACKEND")}
    env.update(
        {
            "JUPYTER_CONFIG_DIR": str(root / "config"),
            "JUPYTER_DATA_DIR": str(root / "data"),
            "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "IPYTHONDIR": str(root / "ipython"),
        }
    )
    # every cell in the page (no virtual scrolling), and no news pop-up over the notebook
    settings = root / "settings"
    for name, value in {
        "notebook-extension/tracker": '{"windowingMode": "none"}',
        "apputils-extension/notification": '{"fetchNews": "false"}',
    }.items():
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
    jupyter_data = Path(sys.prefix) / "share" / "jupyter"
    env["JUPYTER_PATH"] = str(jupyter_data)
    log = (root / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--ServerApp.root_dir={work}",
            f"--IdentityProvider.token={token}",
            f"--LabApp.user_settings_dir={settings}",
            "--allow-root",
        ],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"JupyterLab did not start:\n{(root / 'lab.log').read_text()[-3000:]}"
                ) from None
            time.sleep(0.5)
    yield base, token, work
    stop_process_group(proc)
    log.close()


@pytest.fixture(scope="module")
def page(lab, tmp_path_factory: pytest.TempPathFactory):
    base, token, _ = lab
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_sync.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        tab.goto(f"{base}/lab/tree/{ASSIGNMENT}.ipynb?token={token}")
        tab.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=120_000)
        _wait_for_idle_kernel(tab)
        yield tab
        context.close()


def _current_panel(tab):
    """The notebook panel of the current tab (other open notebooks stay in the page)."""
    panel_id = tab.locator(".lm-DockPanel-tabBar .lm-mod-current").first.get_attribute("data-id")
    return tab.locator(f"[id='{panel_id}']")


def _wait_for_idle_kernel(tab) -> None:
    """The status bar says the notebook's kernel is connected and idle."""
    tab.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).first.wait_for(timeout=120_000)


def _run_all(tab) -> None:
    """Run > Run All Cells, once the kernel is idle; wait until the first cell has run."""
    _wait_for_idle_kernel(tab)
    tab.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    tab.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    first_prompt = _current_panel(tab).locator(".jp-CodeCell .jp-InputPrompt").first
    tab.wait_for_function(
        "el => /\\[\\d+\\]/.test(el.textContent)",
        arg=first_prompt.element_handle(),
        timeout=120_000,
    )


@pytest.fixture(autouse=True)
def screenshot_on_failure(request, page):
    """Keep what the browser showed when a test failed."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"failed_{request.node.name}.png"))


def test_the_notebook_runs_and_the_attention_explorer_reacts(page) -> None:
    _run_all(page)
    dropdown = page.locator(".widget-dropdown select").first
    dropdown.wait_for(timeout=240_000)
    output = page.locator(".widget-output").first
    image = output.locator("img").first
    image.wait_for(timeout=120_000)
    before = image.get_attribute("src")
    assert before and before.startswith("data:image/png")
    labels = dropdown.locator("option").all_inner_texts()
    assert len(labels) > 3 and any("it" in label for label in labels), labels
    plain = [label.replace("\xa0", " ").strip() for label in labels]  # ipywidgets uses NBSPs
    assert "7: it" in plain, f"no query token 'it' among {plain}"
    dropdown.select_option(index=plain.index("7: it"))
    page.wait_for_function(
        "([el, old]) => { const img = el.querySelector('img'); return img && img.src !== old; }",
        arg=[output.element_handle(), before],
        timeout=60_000,
    )
    after = image.get_attribute("src")
    assert after != before, "changing the query token did not redraw the heatmap"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    output.scroll_into_view_if_needed()
    shot = SCREENSHOTS / f"{ASSIGNMENT}_explorer.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000


def test_nbgraders_validate_button_passes_the_completed_notebook(page) -> None:
    _current_panel(page).locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)
    text = dialog.inner_text()
    assert "Success" in text and "passes all" in text, text[:1000]
    page.screenshot(path=str(SCREENSHOTS / f"{ASSIGNMENT}_validate.png"))
    dialog.get_by_role("button").last.click()


def test_a_wrong_answer_fails_validation_in_the_browser(lab, page) -> None:
    """The same Validate button on a notebook with a wrong answer reports the failure."""
    _, _, work = lab
    nb = completed_student_notebook(Course(REPO), ASSIGNMENT)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "causal_mask":
            cell.source = cell.source.replace("torch.tril(", "torch.triu(")
            assert "triu" in cell.source, "the causal_mask solution no longer uses torch.tril"
    nbformat.write(nb, str(work / "wrong.ipynb"))
    seen = []
    page.on("request", lambda r: seen.append(r.url) if "assignments/validate" in r.url else None)
    url = page.url.split("/lab/")[0]
    page.goto(f"{url}/lab/tree/wrong.ipynb")
    current = ".lm-DockPanel-tabBar .lm-mod-current"
    page.locator(current, has_text="wrong.ipynb").wait_for(timeout=120_000)
    _current_panel(page).locator(".jp-Cell").first.wait_for(timeout=120_000)
    _wait_for_idle_kernel(page)
    _current_panel(page).locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)
    text = dialog.inner_text()
    assert [u for u in seen if "path=wrong.ipynb" in u], f"validated another notebook: {seen}"
    assert "Success" not in text and "causal" in text.lower(), text[:1000]
    dialog.get_by_role("button").last.click()


def test_validate_passes_the_completed_vision_transformer_notebook(lab, page) -> None:
    """Notebook 08 in the same JupyterLab: its completed release, without the demo cells that
    train models (the grader skips those too), passes nbgrader's Validate."""
    _, _, work = lab
    assignment = "08_vision_transformer"
    nb = completed_student_notebook(Course(REPO), assignment)
    nb.cells = [cell for cell in nb.cells if not is_demo(cell)]
    assert any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells)
    nbformat.write(nb, str(work / f"{assignment}.ipynb"))
    url = page.url.split("/lab/")[0]
    page.goto(f"{url}/lab/tree/{assignment}.ipynb")
    current = ".lm-DockPanel-tabBar .lm-mod-current"
    page.locator(current, has_text=f"{assignment}.ipynb").wait_for(timeout=120_000)
    _current_panel(page).locator(".jp-Cell").first.wait_for(timeout=120_000)
    _wait_for_idle_kernel(page)
    _current_panel(page).locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=300_000)
    text = dialog.inner_text()
    assert "Success" in text and "passes all" in text, text[:1000]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{assignment}_validate.png"))
    dialog.get_by_role("button").last.click()

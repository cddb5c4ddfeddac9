"""gen/explore.py's page in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium):
choose three drawings, reorder them, watch the loop play at the latent pace while the even one is placed,
save, and render the loop with the path.py command line the page shows: the previewed frames; uploads and
bad names said in the page. Without the browser these tests are skipped, saying what
to install, except where CI is set: there they fail."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from explore_support import LATENT_SIZE, SEED, serve_in_thread, start_explorer, tiny_model

from drawing.gen.explore import sources
from drawing.images import read_image, to_uint8

INSTALL = ("apt-get install chromium chromium-driver (Debian's packages; make setup does it as root) and "
           "pip install -r requirements-dev.txt (selenium)")
WAIT = 20    # seconds for anything the page does


def missing_browser():
    """What of the browser and its driver is not installed."""
    missing = [name for name in ("chromium", "chromedriver") if shutil.which(name) is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    return missing


def missing_message():
    return f"the browser tests need {', '.join(missing_browser())}: {INSTALL}"


if missing_browser() and not os.environ.get("CI"):
    pytest.skip(missing_message(), allow_module_level=True)


def open_browser():
    """Headless Chromium under Selenium, with Debian's driver (never one downloaded)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")   # Chromium's sandbox does not run as root
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


@pytest.fixture(scope="module")
def browser():
    if missing_browser():   # under CI, which must run them
        pytest.fail(missing_message(), pytrace=False)
    driver = open_browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    started = start_explorer(tiny_model(folder / "run"), folder / "out", folder)
    thread = serve_in_thread(started)
    yield started, folder
    started.server.shutdown()
    started.explorer.close()
    thread.join()


def wait_for(browser, script, timeout=WAIT):
    """The value of the JavaScript `script` once it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"the page did not get to `{script}` within {timeout} s")


def open_page(browser, started):
    browser.get(started.url)
    wait_for(browser, "window.explore && window.explore.gridLoads >= 1")


def css(browser, selector):
    return browser.find_elements("css selector", selector)


def set_input(browser, element_id, value):
    """Type a value as a person does: the page acts on the input's change."""
    browser.execute_script("const input = document.getElementById(arguments[0]); input.value = arguments[1];"
                           "input.dispatchEvent(new Event('change'));", element_id, str(value))


def message(browser):
    wait_for(browser, "!document.getElementById('message').hidden")
    shown = browser.find_element("id", "message")
    return shown.text, "error" in shown.get_attribute("class")


def run_in_shell(command, cwd):
    """A command line as the page shows it, pasted into bash in the folder it is for; `python` is this one."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    completed = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"{command}:\n{completed.stderr}"


def test_choose_reorder_save_and_the_shown_command_renders_the_loop(browser, explorer, monkeypatch):
    started, folder = explorer
    placing, on_even = threading.Event(), started.explorer.on_even

    def held_until_checked(request, loop_id):     # the even pace "takes seconds" until the test has looked
        placing.wait(WAIT)
        return on_even(request, loop_id)

    monkeypatch.setattr(started.explorer, "on_even", held_until_checked)
    open_page(browser, started)
    assert browser.find_element("id", "pace").is_displayed()
    assert browser.execute_script("return document.getElementById('pace').value") == "even"
    set_input(browser, "frames", 4)
    set_input(browser, "truncation", 0.8)
    wait_for(browser, "window.explore.gridLoads >= 2")
    drawings = css(browser, "#grid .drawing")
    assert len(drawings) == 16 and "path.py random --seed=3" in drawings[2].get_attribute("title")
    for index in (2, 0, 5, 7):
        drawings[index].click()
    css(browser, "#strip .keyframe")[3].find_element("css selector", ".remove").click()
    css(browser, "#strip .keyframe")[2].find_element("css selector", ".move-left").click()
    labels = [item.find_element("css selector", ".label").text for item in css(browser, "#strip .keyframe")]
    assert labels == [f"seed {SEED} #2", f"seed {SEED} #5", f"seed {SEED} #0"]
    assert drawings[5].find_element("css selector", ".badge").text == "2"
    wait_for(browser, "window.explore.timings.previewFirstFrame !== undefined && window.explore.draws.length > 3")
    wait_for(browser, "document.getElementById('preview-status').textContent.includes('evening the pace…')")
    assert browser.execute_script("return window.explore.player.loop.pace") == "latent"
    placing.set()
    wait_for(browser, "window.explore.timings.evenPlaying !== undefined")
    even = browser.execute_script("const loop = window.explore.player.loop; return [loop.pace, loop.loop]")
    assert even[0] == "even"
    wait_for(browser, "!document.getElementById('preview-status').textContent.includes('evening')")

    browser.find_element("id", "save-name").send_keys("loop1")
    browser.find_element("id", "save").click()
    wait_for(browser, "!document.getElementById('saved').hidden")
    command = browser.find_element("id", "path-command").text
    keyframes = np.stack([sources.seeded_latents(SEED, index, index + 1, LATENT_SIZE)[0] for index in (2, 5, 0)])
    np.testing.assert_array_equal(np.load(folder / "out" / "loop1.npy"), keyframes)
    record = json.loads((folder / "out" / "loop1.json").read_text())
    assert record["complete"] and record["keyframes"] == [{"seed": SEED, "index": index} for index in (2, 5, 0)]

    assert "--truncation=0.8" in command and "--frames=4" in command and "--pace=even" in command
    run_in_shell(command, started.explorer.commands.cwd)
    (run,) = [path for path in (folder / "out" / "keyframes_spline_k3_f4").iterdir() if path.is_dir()]
    previewed = started.explorer.loops[even[1]].latents
    np.testing.assert_array_equal(np.load(run.with_suffix(".npy")), previewed)
    frames = sorted(run.glob("*.png"))
    expected = to_uint8(started.explorer.renderer.generator(previewed))
    assert len(frames) == len(expected) == 12
    for frame, image in zip(frames, expected):
        np.testing.assert_array_equal(read_image(frame), image)
    run_in_shell(browser.find_element("id", "mp4-command").text, started.explorer.commands.cwd)
    assert run.with_suffix(".mp4").stat().st_size > 0


def test_uploads_and_bad_names_are_said_in_the_page(browser, explorer, tmp_path):
    started, folder = explorer
    open_page(browser, started)
    mine = tmp_path / "mine.npy"
    np.save(mine, np.random.default_rng(4).standard_normal((5, LATENT_SIZE)).astype(np.float32))
    browser.find_element("id", "upload").send_keys(str(mine))
    wait_for(browser, "document.querySelectorAll('#grid .drawing').length === 5")
    tabs = [tab.text for tab in css(browser, "#tabs button")]
    assert tabs == ["seeded", "mine.npy (5)"]

    (tmp_path / "scan.npy").write_bytes(b"\x89PNG\r\n")
    browser.find_element("id", "upload").send_keys(str(tmp_path / "scan.npy"))
    text, error = message(browser)
    assert error and "scan.npy: not a .npy file" in text

    for drawing in css(browser, "#grid .drawing")[:2]:
        drawing.click()
    browser.find_element("id", "save-name").send_keys("../elsewhere")
    browser.find_element("id", "save").click()
    wait_for(browser, "document.getElementById('message-text').textContent.includes('without a folder')")
    assert not (folder / "elsewhere.npy").exists() and not (folder / "out" / "elsewhere.npy").exists()

"""Make docs/explore.md's picture, docs/img/explore.png: the explorer's page on the demo's model in headless
Chromium, four drawings chosen, the loop playing at the even pace, the loop saved.

    python tools/explore_picture.py                 # writes docs/img/explore.png
    python tools/explore_picture.py --out=/tmp/explore.png

As a user runs it from gen/: `python explore.py ../demo/model --seed=7 --latents=out/random_c16/<run>`,
the latents those of `path.py ../demo/model random --count=16 --seed=5`, in a scratch folder (a gen/
beside a link to demo/), and the page's commands shown for a checkout in ~/drawing (/home/me/drawing/gen).
The explorer runs through its library as gen/explore.py starts it; the browser is Debian's chromium and
chromium-driver under Selenium, as the explorer's tests and bench use it.
"""
import argparse
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 7
CHOSEN = (1, 4, 9, 13)        # the drawings clicked, in order
SHOWN_CWD = "/home/me/drawing/gen"
WIDTH = 1280                  # px; the picture is as tall as the page


def open_browser():
    from selenium.webdriver import Chrome, ChromeOptions
    from selenium.webdriver.chrome.service import Service
    options = ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--disable-gpu", f"--window-size={WIDTH},900",
                     "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    return Chrome(service=Service(shutil.which("chromedriver")), options=options)


def wait_for(browser, script, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if browser.execute_script(f"return {script}"):
            return
        time.sleep(0.05)
    raise RuntimeError(f"the page did not get to `{script}` within {timeout} s")


def random_run(model):
    """The run folder of `path.py <model> random --count=16 --seed=5` under out/ (the current folder)."""
    from drawing.gen.path_run import PathSettings, generate_path
    return generate_path(PathSettings(model=model, style="random", count=16, seed=5)).folder


def screenshot(out):
    from drawing.gen.explore import app
    model = "../demo/model"
    latents = str(random_run(model))
    settings = app.Settings(model=model, seed=SEED, truncation=1.0, frames=64, fps=30.0, interpolation="spline",
                            command=f"python explore.py {model} --seed={SEED} --latents={latents}")
    commands = app.Commands(cwd=SHOWN_CWD, scripts="", model=model, dir_out="out")
    started = app.start(model, settings, commands, latent_files=[latents], port=0)
    server = threading.Thread(target=started.server.serve_forever, daemon=True)
    server.start()
    browser = open_browser()
    try:
        browser.get(started.url)
        wait_for(browser, "window.explore && window.explore.gridLoads >= 1")
        drawings = browser.find_elements("css selector", "#grid .drawing")
        for index in CHOSEN:
            drawings[index].click()
        wait_for(browser, "window.explore.timings.evenPlaying !== undefined")
        browser.find_element("id", "save-name").send_keys("loop1")
        browser.find_element("id", "save").click()
        wait_for(browser, "!document.getElementById('saved').hidden")
        browser.execute_script("document.getElementById('message').hidden = true")
        time.sleep(1.8)     # the loop plays on: the status line counts its frames per second
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.5)
        browser.save_screenshot(str(out))
    finally:
        browser.quit()
        started.server.shutdown()
        started.explorer.close()
        server.join()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "img" / "explore.png"),
                        help="the picture to write (default: docs/img/explore.png)")
    out = Path(parser.parse_args().out).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "gen").mkdir()
        (Path(scratch) / "demo").symlink_to(REPO / "demo")
        os.chdir(Path(scratch) / "gen")
        screenshot(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

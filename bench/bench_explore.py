"""Benchmark gen/explore.py as a person sees it in headless Chromium: the first grid, the preview.

    python bench/bench_explore.py                          # demo/model: the numbers in docs/explore.md
    python bench/bench_explore.py --untrained=512 --seconds=5

The explorer is started on a free port of 127.0.0.1 (through its library, as gen/explore.py starts it)
and its page opened in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium);
the numbers are the page's own clocks (performance.now()):
- first grid: from the page's request for its first 16 drawings to all 16 decoded, and from the start
  of the page's load to the same moment; and to the first of them (a slow model's come a few at a time);
- preview's first frame: from a change (a third keyframe clicked; another interpolation chosen) to the
  first frame of the new loop drawn, the page's 120 ms wait for further changes included;
- sustained: frames the preview draws per second, over --seconds of playing after a change, while the
  page still fetches the loop's later frames.
Each is the median of --repeats page loads. The explorer's measured rate (preview frames per second the
machine makes) and the preview plan are printed too; `--untrained=512` times a full-width untrained model
of that many px instead of the demo's, whose preview is planned smaller.
"""
import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from drawing.gen.explore import app, render

REPO = Path(__file__).resolve().parents[1]
LATENT_SIZE = 64


def open_browser():
    from selenium.webdriver import Chrome, ChromeOptions
    from selenium.webdriver.chrome.service import Service
    options = ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--disable-gpu", "--window-size=1280,900", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    return Chrome(service=Service(shutil.which("chromedriver")), options=options)


def wait_for(browser, script, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = browser.execute_script(f"return {script}")
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"the page did not get to `{script}` within {timeout} s")


def sustained_fps(browser, seconds):
    """Frames the preview drew per second over the last `seconds`."""
    time.sleep(seconds)
    return browser.execute_script("const now = performance.now();"
                                  "return window.explore.draws.filter((time) => now - time < arguments[0]).length",
                                  seconds * 1000) / seconds


def one_page_load(browser, url, seconds):
    """The page's timings of one load: grid, the preview's first frame after two changes, fps."""
    browser.get(url)
    grid = wait_for(browser, "window.explore && window.explore.timings.grid")
    drawings = browser.find_elements("css selector", "#grid .drawing")
    for drawing in drawings[:3]:
        drawing.click()
    first_add = wait_for(browser, "window.explore.timings.previewFirstFrame")
    browser.execute_script("window.explore.timings.previewFirstFrame = undefined;"
                           "const select = document.getElementById('interpolation'); select.value = 'linear';"
                           "select.dispatchEvent(new Event('change'));")
    first_change = wait_for(browser, "window.explore.timings.previewFirstFrame")
    fps = sustained_fps(browser, seconds)
    plan = browser.execute_script("return document.getElementById('preview-note').textContent")
    first_drawing = browser.execute_script("return window.explore.timings.firstDrawing")
    return {"first drawing, request": first_drawing, "grid request": grid["request"],
            "grid since load": grid["sinceLoad"],
            "first frame, keyframe added": first_add, "first frame, interpolation": first_change,
            "preview fps": fps}, plan


def untrained_model(folder, resolution):
    from drawing.gan import save_untrained_checkpoint
    return save_untrained_checkpoint(Path(folder) / "untrained.checkpoint", resolution=resolution,
                                     latent_size=LATENT_SIZE, channel_scale=1.0, seed=0)


def bench(model, repeats, seconds, scratch):
    settings = app.Settings(model=str(model), seed=1, truncation=1.0, frames=64, fps=30.0,
                            interpolation="spline", command="python explore.py")
    commands = app.Commands(cwd=str(scratch), scripts="", model=str(model), dir_out=str(Path(scratch) / "out"))
    started_at = time.perf_counter()
    started = app.start(str(model), settings, commands, port=0)
    startup = time.perf_counter() - started_at
    threading.Thread(target=started.server.serve_forever, daemon=True).start()
    renderer = started.explorer.renderer
    print(f"model {model}: {renderer.resolution} px, latent {renderer.latent_size}; explorer ready in {startup:.1f} s "
          f"(model loaded, generator traced); preview rate measured {started.explorer.rate:.0f} frames/s "
          f"at {render.preview_side(renderer.resolution)} px; {os.cpu_count()} cores", flush=True)
    browser = open_browser()
    try:
        runs = []
        for _ in range(repeats):
            timings, plan = one_page_load(browser, started.url, seconds)
            runs.append(timings)
    finally:
        browser.quit()
        started.server.shutdown()
    for key in runs[0]:
        values = [run[key] for run in runs]
        unit = "frames/s" if key == "preview fps" else "ms"
        digits = 1 if unit == "frames/s" else 0
        print(f"  {key:<30s} {statistics.median(values):7.{digits}f} {unit:<8s} (of {len(values)}: "
              + ", ".join(f"{value:.{digits}f}" for value in values) + ")")
    print(f"  preview plan: {plan or 'every frame, at the model’s size'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(REPO / "demo" / "model"),
                        help="checkpoint or run folder (default: demo/model)")
    parser.add_argument("--untrained", type=int, default=0,
                        help="time an untrained full-width model of this many px instead, e.g. 512 (default: no)")
    parser.add_argument("--repeats", type=int, default=3, help="page loads to take the median of (default: 3)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="seconds of preview playing to count frames over (default: 5)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        model = untrained_model(scratch, args.untrained) if args.untrained else args.model
        bench(model, args.repeats, args.seconds, scratch)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")


if __name__ == "__main__":
    main()

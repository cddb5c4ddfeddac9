"""Benchmark gen/explore.py as a person sees it in headless Chromium: the first grid, the preview.

    python bench/bench_explore.py                          # demo/model: the numbers in docs/explore.md
    python bench/bench_explore.py --untrained=512 --seconds=5

The explorer is started on a free port of 127.0.0.1 (through its library, as gen/explore.py starts it)
and its page opened in headless Chromium (Debian's chromium and chromium-driver, driven by Selenium);
the numbers are the page's own clocks (performance.now()):
- first grid: from the page's request for its first 16 drawings to all 16 decoded, and from the start
  of the page's load to the same moment; and to the first of them (a slow model's come a few at a time);
- preview's first frame: from a change (three keyframes clicked; another interpolation chosen; another
  again while the page is evening the pace of the one before, the server placing its frames) to the first
  frame of the new loop drawn, the page's 120 ms wait for further changes included; the loop is at the
  even pace (the page's default), so that first frame is the latent pace's;
- even pace playing: from a change to its loop at the even pace taking over (the server has placed its
  frames and the page has all of them);
- frames drawn per second from the last change's first frame until its even pace takes over (the latent
  pace playing), and over --seconds at the even pace after it.
Each is the median of --repeats page loads. The explorer's measured rate (preview frames per second the
machine makes), the time placing the loop's frames evenly takes alone (the same 3 keyframes, in path.py's
batches) and the preview plan are printed too; `--untrained=512` times a full-width untrained model of that
many px instead of the demo's, whose preview is planned smaller (and keeps the latent pace).
"""
import argparse
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from drawing.gen.explore import app, loop, render, sources

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


def drawn_per_second(browser, since, until):
    """Frames the preview drew per second between two moments of the page's clock."""
    return browser.execute_script("return window.explore.draws.filter((time) => time > arguments[0] && "
                                  "time <= arguments[1]).length", since, until) * 1000 / (until - since)


def change(browser, script):
    """(ms from the change `script` makes to the new loop's first frame drawn, when the change was made on
    the page's clock, whether the page is evening that loop's pace)."""
    browser.execute_script("window.explore.timings.previewFirstFrame = undefined;"
                           "window.explore.timings.evenPlaying = undefined;" + script)
    first = wait_for(browser, "window.explore.timings.previewFirstFrame")
    changed, evening = browser.execute_script("const loop = window.explore.player.loop;"
                                              "return [loop.changedAt, loop.evening]")
    return first, changed, evening


def even_playing(browser, evening):
    """ms from the last change to its loop playing at the even pace; None where the preview keeps the
    latent pace (a slow model)."""
    return wait_for(browser, "window.explore.timings.evenPlaying") if evening else None


def interpolation(name):
    return (f"const select = document.getElementById('interpolation'); select.value = '{name}';"
            "select.dispatchEvent(new Event('change'));")


def one_page_load(browser, url, seconds):
    """The page's timings of one load: grid; the preview after three changes (first frame, even pace), the
    third made while the second's even pace is being placed; frames drawn per second."""
    browser.get(url)
    grid = wait_for(browser, "window.explore && window.explore.timings.grid")
    first_add, _, evening = change(browser, "for (const drawing of [...document.querySelectorAll('#grid .drawing')]"
                                            ".slice(0, 3)) drawing.click();")
    even_add = even_playing(browser, evening)
    first_change, _, evening = change(browser, interpolation("linear"))
    if evening:     # until the latent frames are all here: the page has asked for the even ones
        wait_for(browser, "!window.explore.player.evening "
                          "|| window.explore.player.loop.loaded === window.explore.player.loop.count")
        if not browser.execute_script("return window.explore.player.evening"):
            raise RuntimeError("the even pace came before the next change could be made while it was placed")
    first_evening, changed, evening = change(browser, interpolation("spherical"))
    even_change = even_playing(browser, evening)
    fps_evening = drawn_per_second(browser, changed + first_evening, changed + even_change) if evening else None
    time.sleep(seconds)
    now = browser.execute_script("return performance.now()")
    fps = drawn_per_second(browser, now - seconds * 1000, now)
    plan = browser.execute_script("return document.getElementById('preview-note').textContent")
    first_drawing = browser.execute_script("return window.explore.timings.firstDrawing")
    return {"first drawing, request": first_drawing, "grid request": grid["request"],
            "grid since load": grid["sinceLoad"],
            "first frame, keyframes added": first_add, "even pace, keyframes added": even_add,
            "first frame, interpolation": first_change,
            "first frame, change while evening": first_evening, "even pace, that change": even_change,
            "fps until the even pace": fps_evening, "fps after": fps}, plan


def pacing_alone(explorer, frames):
    """Seconds placing the frames of a loop through seeded drawings 0-2 takes, in path.py's batches."""
    keyframes = sources.seeded_latents(explorer.settings.seed, 0, 3, explorer.renderer.latent_size)
    started = time.perf_counter()
    loop.loop_latents(keyframes, frames, "linear", "even", 1.0, explorer.renderer.generate)
    return time.perf_counter() - started


def untrained_model(folder, resolution):
    from drawing.gan import save_untrained_checkpoint
    return save_untrained_checkpoint(Path(folder) / "untrained.checkpoint", resolution=resolution,
                                     latent_size=LATENT_SIZE, channel_scale=1.0, seed=0)


def bench(model, repeats, seconds, scratch):
    settings = app.Settings(model=str(model), seed=1, truncation=1.0, frames=64, fps=30.0,
                            interpolation="spline", command="python explore.py", pace="even")
    commands = app.Commands(cwd=str(scratch), scripts="", model=str(model), dir_out=str(Path(scratch) / "out"))
    started_at = time.perf_counter()
    started = app.start(str(model), settings, commands, port=0)
    startup = time.perf_counter() - started_at
    threading.Thread(target=started.server.serve_forever, daemon=True).start()
    renderer = started.explorer.renderer
    print(f"model {model}: {renderer.resolution} px, latent {renderer.latent_size}; explorer ready in {startup:.1f} s "
          f"(model loaded, generator traced); preview rate measured {started.explorer.rate:.0f} frames/s "
          f"at {render.preview_side(renderer.resolution)} px; {os.cpu_count()} cores", flush=True)
    if render.evens_pace(started.explorer.rate):
        print(f"placing the {3 * settings.frames} frames of a loop through 3 keyframes evenly, alone: "
              f"{pacing_alone(started.explorer, settings.frames):.2f} s", flush=True)
    browser = open_browser()
    try:
        runs = []
        for _ in range(repeats):
            started.explorer.even_times.clear()   # each load places its loops' even frames anew
            timings, plan = one_page_load(browser, started.url, seconds)
            runs.append(timings)
    finally:
        browser.quit()
        started.server.shutdown()
        started.explorer.close()
    for key in runs[0]:
        values = [run[key] for run in runs]
        if None in values:
            print(f"  {key:<34s} none: the preview keeps the latent pace")
            continue
        unit = "frames/s" if key.startswith("fps") else "ms"
        digits = 1 if unit == "frames/s" else 0
        print(f"  {key:<34s} {statistics.median(values):7.{digits}f} {unit:<8s} (of {len(values)}: "
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

"""gen/explore.py's library without a browser: the drawings' latents, the API, saving, bad input, safety."""
import base64
import dataclasses
import io
import json
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from conftest import REPO
from explore_support import LATENT_SIZE, SEED, Api, start_explorer, tiny_model

from drawing.errors import UserError
from drawing.gen import latent_paths
from drawing.gen.explore import app, render, save, server, sources
from drawing.gen.explore.save import check_name
from drawing.gen.pace import paced_latents
from drawing.gen.path_run import PathSettings, generate_path
from drawing.images import decode_png, to_uint8


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return tiny_model(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def generator(model):
    return app.load_model(model)


@pytest.fixture
def started(model, generator, tmp_path):
    started = start_explorer(model, tmp_path / "out", tmp_path, generator_loader=lambda _: generator)
    yield started
    started.server.server_close()


@pytest.fixture
def api(started):
    return Api(started)


def npy_bytes(array):
    handle = io.BytesIO()
    np.save(handle, array, allow_pickle=False)
    return handle.getvalue()


def loop_body(keyframes, **changes):
    return {"keyframes": keyframes, "frames": 4, "interpolation": "spline", "pace": "latent", "fps": 30,
            "truncation": 0.8, **changes}


SEEDED = [{"seed": SEED, "index": index} for index in (2, 0, 5)]


def seeded_keyframes(refs):
    return np.concatenate([sources.seeded_latents(SEED, ref["index"], ref["index"] + 1, LATENT_SIZE) for ref in refs])


def path_settings(command):
    """path.py's settings from its command line as the page shows it (options as `--name=value`)."""
    words = shlex.split(command)
    assert words[:2] == ["python", str(REPO / "gen" / "path.py")] and words[3] == "keyframes"
    options = dict(word.removeprefix("--").split("=", 1) for word in words[4:])
    types = {field.name: field.type for field in dataclasses.fields(PathSettings)}
    return PathSettings(model=words[2], style="keyframes",
                        **{name: types[name](value) for name, value in options.items()})


# ---- the drawings' latents ----

@pytest.mark.parametrize("start, stop", [(0, 16), (16, 32), (3, 4), (8190, 8194)])
def test_seeded_rows_are_path_py_random_frames(start, stop):
    """Drawing i of seed S is row i of `path.py random --seed=S`'s latents, whatever page it is on
    (8190-8194 skips across a block of the skipped values)."""
    every = latent_paths.random_latents(np.random.default_rng(SEED), stop, LATENT_SIZE)
    np.testing.assert_array_equal(sources.seeded_latents(SEED, start, stop, LATENT_SIZE), every[start:stop])


def test_a_page_of_drawings_is_the_truncated_seeded_latents(api, generator):
    answer = api.post("/api/drawings", {"source": "seed", "seed": SEED, "start": 16, "count": 16,
                                             "truncation": 0.5})
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [item["ref"] for item in items] == [{"seed": SEED, "index": index} for index in range(16, 32)]
    assert answer.json["more"] and "path.py random --seed=3" in items[0]["title"]
    shown = decode_png(base64.b64decode(items[0]["image"].removeprefix("data:image/png;base64,")))
    latent = latent_paths.truncate(sources.seeded_latents(SEED, 16, 17, LATENT_SIZE), 0.5)
    expected = np.clip(np.asarray(generator(latent))[0], 0, 1) * 255 + 0.5
    np.testing.assert_array_equal(shown, expected.astype(np.uint8))


# ---- the preview ----

def test_a_loop_is_previewed_in_chunks_of_frames(api):
    answer = api.post("/api/loop", loop_body(SEEDED))
    assert answer.status_code == 200
    loop = answer.json
    assert (loop["total"], loop["count"], loop["step"], loop["side"]) == (12, 12, 1, 16)
    assert (loop["pace"], loop["evening"]) == ("latent", False) and loop["times"] == [k / 12 for k in range(12)]
    frames = api.get(f"/api/loop/{loop['loop']}/frames?start=8&count=8")
    assert frames.status_code == 200 and frames.headers["X-Frames"] == "4"
    assert decode_png(frames.data).shape == (4 * 16, 16, 3)


def test_the_even_pace_comes_after_the_latent_one_and_is_path_py_s(api, started, generator):
    """A loop at the even pace is at once the latent one, `evening`; its even form, asked for next, has the
    latents `paced_latents` gives the same loop in path.py's batches; its frames are their images. The same
    loop at another fps is even at once, from the times found."""
    answer = api.post("/api/loop", loop_body(SEEDED, pace="even"))
    assert answer.status_code == 200 and (answer.json["pace"], answer.json["evening"]) == ("latent", True)
    loop = latent_paths.keyframe_path(seeded_keyframes(SEEDED), 4, "spline")
    np.testing.assert_array_equal(started.explorer.loops[answer.json["loop"]].latents,
                                  latent_paths.truncate(loop.latents(), 0.8))
    even = api.post(f"/api/loop/{answer.json['loop']}/even", {})
    assert even.status_code == 200
    assert (even.json["pace"], even.json["evening"], even.json["count"]) == ("even", False, 12)
    latents, times = paced_latents(loop, generator, "even", 0.8, batch_size=16)
    assert not np.array_equal(times, latent_paths.loop_times(12))
    np.testing.assert_array_equal(started.explorer.loops[even.json["loop"]].latents, latents)
    assert even.json["times"] == times.tolist()
    frames = decode_png(api.get(f"/api/loop/{even.json['loop']}/frames?start=0&count=12").data)
    np.testing.assert_array_equal(frames.reshape(12, 16, 16, 3), to_uint8(generator(latents)))

    again = api.post("/api/loop", loop_body(SEEDED, pace="even", fps=24))
    assert (again.json["pace"], again.json["evening"], again.json["times"]) == ("even", False, times.tolist())
    assert api.post(f"/api/loop/{again.json['loop']}/even", {}).status_code == 400


def test_a_newer_loop_of_the_page_stops_the_older_pacing(api, started, monkeypatch):
    """Pacing stops at the generator's next batch once the same page asks for a newer loop (409); another
    page's loop leaves it be."""
    first = api.post("/api/loop", loop_body(SEEDED, pace="even", page="one")).json["loop"]
    assert api.post("/api/loop", loop_body(SEEDED[:2], pace="even", page="two")).status_code == 200
    generate, batches = started.explorer.renderer.generate, []

    def changed_meanwhile(latents):
        batches.append(len(latents))
        if len(batches) == 1:
            assert api.post("/api/loop", loop_body(SEEDED[:2], pace="even", page="one")).status_code == 200
        return generate(latents)

    monkeypatch.setattr(started.explorer.renderer, "generate", changed_meanwhile)
    stopped = api.post(f"/api/loop/{first}/even", {})
    assert stopped.status_code == 409 and "newer change" in stopped.json["error"] and len(batches) == 1


@pytest.mark.parametrize("pace", ["even", "latent"])
def test_the_saved_command_renders_the_previewed_frames(api, started, generator, tmp_path, pace):
    """path.py run with the command the page shows (in this process, on the loaded model) gives the latents
    of the preview at the chosen pace, and the record says the pace."""
    answer = api.post("/api/loop", loop_body(SEEDED, pace=pace)).json
    if answer["evening"]:
        answer = api.post(f"/api/loop/{answer['loop']}/even", {}).json
    assert answer["pace"] == pace
    saved = api.post("/api/save", {"name": "loop1", **loop_body(SEEDED, pace=pace)}).json
    assert f"--pace={pace}" in saved["path_command"]
    assert json.loads((tmp_path / "out" / "loop1.json").read_text())["pace"] == pace
    run = generate_path(path_settings(saved["path_command"]), generator=generator)
    rendered = np.load(run.folder.with_suffix(".npy"))
    np.testing.assert_array_equal(rendered, started.explorer.loops[answer["loop"]].latents)


@pytest.mark.parametrize("body, words", [
    (loop_body(SEEDED[:1]), "at least 2 keyframes"),
    (loop_body(SEEDED, interpolation="cubic"), "interpolation must be one of"),
    (loop_body(SEEDED, pace="fast"), "pace must be one of even, latent, not 'fast'"),
    (loop_body(SEEDED, pace=None), "pace must be one of"),
    (loop_body(SEEDED, page=["one"]), "page must be a text"),
    (loop_body(SEEDED, frames=1), "frames must be a whole number"),
    (loop_body(SEEDED, truncation=0), "truncation must be"),
    (loop_body([{"seed": SEED, "index": -1}, *SEEDED]), "index must be a whole number"),
    (loop_body([{"file": "f9", "row": 0}, *SEEDED]), "no latent file 'f9'"),
])
def test_a_loop_of_bad_settings_is_refused_in_one_line(api, body, words):
    answer = api.post("/api/loop", body)
    assert answer.status_code == 400 and words in answer.json["error"] and "\n" not in answer.json["error"]


@pytest.mark.parametrize("rate, grid, first", [(400, 16, 4), (20, 10, 1), (0.5, 1, 1)])
def test_a_slow_model_is_asked_for_fewer_drawings_at_a_time(rate, grid, first):
    assert render.batch_for(rate, render.GRID_SECONDS, 16) == grid
    assert render.batch_for(rate, render.FIRST_FRAMES_SECONDS, render.FIRST_FRAMES) == first


@pytest.mark.parametrize("total, fps, rate, resolution, pace, step, side, even, note", [
    (192, 30, 400, 64, "even", 1, 64, True, ""),
    (192, 30, 400, 64, "latent", 1, 64, False, ""),
    (192, 30, 10, 64, "latent", 4, 64, False, "every 4th frame (the model makes 10 frames/s here); path.py renders"),
    (192, 30, 400, 1024, "even", 1, 256, True, "preview at 256 px of the model's 1024; path.py renders"),
    (10000, 30, 400, 64, "even", 5, 64, True, "every 5th frame (the loop has 10000 frames); path.py renders"),
    (192, 30, 10, 64, "even", 4, 64, False, "the preview keeps the latent pace (evening it would hold up"),
    (192, 30, 1.8, 64, "latent", 21, 64, False, "every 21st frame"),
    (192, 30, 0.6, 64, "latent", 63, 64, False, "every 63rd frame"),
])
def test_the_preview_plan_keeps_up_with_the_machine(total, fps, rate, resolution, pace, step, side, even, note):
    """Every n-th frame where the model cannot keep up with the loop's fps; the even pace where the model
    makes path.py's batch of 16 within half a second."""
    plan = render.preview_plan(total, fps, rate, resolution, pace)
    assert (plan.step, plan.side, plan.even) == (step, side, even) and note in plan.note
    assert plan.count * plan.step >= total and (note or not plan.note)


# ---- saving ----

def test_save_writes_the_keyframes_before_truncation_and_a_record(api, started, tmp_path):
    answer = api.post("/api/save", {"name": "loop1", **loop_body(SEEDED)})
    assert answer.status_code == 200, answer.json
    saved = np.load(tmp_path / "out" / "loop1.npy")
    np.testing.assert_array_equal(saved, np.stack([sources.seeded_latents(SEED, ref["index"], ref["index"] + 1,
                                                                          LATENT_SIZE)[0] for ref in SEEDED]))
    record = json.loads((tmp_path / "out" / "loop1.json").read_text())
    assert record["stage"] == "explore.py" and record["complete"] is True and record["seed"] == SEED
    assert record["keyframes"] == SEEDED and record["truncation"] == 0.8 and record["interpolation"] == "spline"
    command = answer.json["path_command"]
    assert f"--keyframes={tmp_path / 'out' / 'loop1.npy'}" in command and "--truncation=0.8" in command
    assert "--frames=4 --interpolation=spline --pace=latent" in command and record["pace"] == "latent"
    assert f"$(ls -td {tmp_path / 'out' / 'keyframes_spline_k3_f4'}/*/ | head -n 1)" in answer.json["mp4_command"]


def test_a_second_save_of_a_name_asks_before_replacing(api, tmp_path):
    assert api.post("/api/save", {"name": "loop1", **loop_body(SEEDED)}).status_code == 200
    again = api.post("/api/save", {"name": "loop1.npy", **loop_body(SEEDED[:2])})
    assert again.status_code == 409 and again.json["exists"] is True
    assert len(np.load(tmp_path / "out" / "loop1.npy")) == 3
    replaced = api.post("/api/save", {"name": "loop1", **loop_body(SEEDED[:2]), "replace": True})
    assert replaced.status_code == 200 and len(np.load(tmp_path / "out" / "loop1.npy")) == 2


def test_saves_at_once_do_not_mix_their_files(started, tmp_path, monkeypatch):
    """A second page saving the same name while the first is between its .npy and its record's verdict
    waits for it: the .npy always holds the keyframes its record names."""
    write_record = save.write_record

    def slow_verdict(folder, record, complete):
        if complete and len(record["keyframes"]) == 3:
            time.sleep(0.3)     # the first save, with its .npy written: the second starts meanwhile
        write_record(folder, record, complete)

    monkeypatch.setattr(save, "write_record", slow_verdict)
    loops = [SEEDED, [{"seed": SEED, "index": index} for index in (9, 8)]]

    def save_loop(keyframes):
        answer = Api(started).post("/api/save", {"name": "both", **loop_body(keyframes), "replace": True})
        assert answer.status_code == 200

    threads = [threading.Thread(target=save_loop, args=(keyframes,)) for keyframes in loops]
    for thread in threads:
        thread.start()
        time.sleep(0.1)
    for thread in threads:
        thread.join()
    record = json.loads((tmp_path / "out" / "both.json").read_text())
    expected = np.stack([sources.seeded_latents(SEED, ref["index"], ref["index"] + 1, LATENT_SIZE)[0]
                         for ref in record["keyframes"]])
    np.testing.assert_array_equal(np.load(tmp_path / "out" / "both.npy"), expected)
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["both.json", "both.npy"]


@pytest.mark.parametrize("name", ["a/b", "../loop", "/tmp/loop", "sub\\loop", ".hidden", "", "  ", "..", "a" * 101])
def test_a_save_name_with_a_path_in_it_is_refused(api, tmp_path, name):
    answer = api.post("/api/save", {"name": name, **loop_body(SEEDED)})
    assert answer.status_code == 400 and "name" in answer.json["error"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("typed, name", [("loop1", "loop1"), (" loop 2.npy ", "loop 2"), ("v1.2.json", "v1.2")])
def test_save_names(typed, name):
    assert check_name(typed) == name


@pytest.mark.parametrize("existing, record", [
    ("loop1.npy", None),                                     # a .npy of someone else's, no record
    ("loop1.json", {"stage": "path.py", "complete": True}),  # another stage's record
    ("loop1.json", "not json"),
])
def test_a_file_the_explorer_did_not_write_is_never_overwritten(api, tmp_path, existing, record):
    out = tmp_path / "out"
    out.mkdir()
    content = b"theirs" if record is None else (record if isinstance(record, str) else json.dumps(record)).encode()
    (out / existing).write_bytes(content)
    answer = api.post("/api/save", {"name": "loop1", **loop_body(SEEDED), "replace": True})
    assert answer.status_code == 400 and "explore.py did not write it" in answer.json["error"]
    assert (out / existing).read_bytes() == content and sorted(path.name for path in out.iterdir()) == [existing]


# ---- latent files ----

def test_an_uploaded_npy_gives_drawings_and_keyframes(api):
    latents = np.random.default_rng(1).standard_normal((20, LATENT_SIZE)).astype(np.float32)
    answer = api.post("/api/upload", data=npy_bytes(latents), headers={"X-File-Name": "mine%20one.npy"})
    assert answer.status_code == 200
    source = answer.json["source"]
    assert (source["id"], source["name"], source["count"]) == ("u0", "mine one.npy", 20)
    second = api.post("/api/drawings", {"source": "u0", "start": 16, "count": 16, "truncation": 1})
    assert [item["ref"]["row"] for item in second.json["items"]] == [16, 17, 18, 19] and not second.json["more"]
    saved = api.post("/api/save", {"name": "mine", **loop_body([{"file": "u0", "row": 19}, *SEEDED[:1]])})
    assert saved.status_code == 200


@pytest.mark.parametrize("data, words", [
    (b"PNG not a npy", "not a .npy file"),
    (npy_bytes(np.zeros((3, LATENT_SIZE + 1), np.float32)), f"have {LATENT_SIZE + 1} dimensions but the model takes"),
    (npy_bytes(np.zeros((3, 2, LATENT_SIZE), np.float32)), "latents of a grid"),
    (npy_bytes(np.array([[np.nan] * LATENT_SIZE])), "frame 0's latent is not all finite"),
    (npy_bytes(np.zeros((3, LATENT_SIZE), np.int64)), "expected a float array"),
    (npy_bytes(np.zeros((0, LATENT_SIZE), np.float32)), "holds no latents"),
])
def test_an_unfit_upload_is_refused_naming_it(api, data, words):
    answer = api.post("/api/upload", data=data, headers={"X-File-Name": "bad.npy"})
    assert answer.status_code == 400 and answer.json["error"].startswith("bad.npy: ") and words in answer.json["error"]


def test_latents_named_on_the_command_line_from_a_run_folder(model, generator, tmp_path):
    run = tmp_path / "random_c5" / "run1"
    run.mkdir(parents=True)
    latents = np.random.default_rng(2).standard_normal((5, LATENT_SIZE)).astype(np.float32)
    np.save(tmp_path / "random_c5" / "run1.npy", latents)
    (tmp_path / "random_c5" / "run1.json").write_text(json.dumps({"stage": "path.py", "style": "random",
                                                                  "truncation": 0.7, "complete": True}))
    started = start_explorer(model, tmp_path / "out", tmp_path, latent_files=[run],
                             generator_loader=lambda _: generator)
    try:
        (source,) = started.explorer.page_config()["files"]
        assert (source["id"], source["count"]) == ("f0", 5) and "truncation 0.7 already applied" in source["note"]
    finally:
        started.server.server_close()
    (tmp_path / "random_c5" / "run1.json").write_text(json.dumps({"stage": "path.py", "complete": False,
                                                                  "command": "python path.py m random"}))
    with pytest.raises(UserError, match="incomplete .* python path.py m random"):
        start_explorer(model, tmp_path / "out", tmp_path, latent_files=[run], generator_loader=lambda _: generator)


@pytest.mark.parametrize("name, content, words", [
    ("latents.png", b"\x89PNG", "not a .npy file"),
    ("missing.npy", None, "not found"),
])
def test_an_unfit_latent_file_on_the_command_line_is_refused(model, generator, tmp_path, name, content, words):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(UserError, match=words):
        start_explorer(model, tmp_path / "out", tmp_path, latent_files=[tmp_path / name],
                       generator_loader=lambda _: generator)


# ---- safety ----

@pytest.mark.parametrize("path, headers, words", [
    ("/api/drawings", {"Origin": "http://evil.example"}, "another site"),
    ("/api/drawings", {"Sec-Fetch-Site": "cross-site"}, "another site"),
    ("/api/drawings", {"X-Explore-Token": "guessed"}, "token"),
    ("/api/save", {"X-Explore-Token": ""}, "token"),
    ("/api/save", {"X-Explore-Token": "é"}, "token"),
])
def test_requests_from_other_sites_are_refused(api, tmp_path, path, headers, words):
    answer = api.post(path, {"source": "seed", "seed": 1, "start": 0, "count": 1, "truncation": 1, "name": "x",
                             **loop_body(SEEDED)}, headers=headers)
    assert answer.status_code == 403 and words in answer.json["error"]
    assert not (tmp_path / "out" / "x.npy").exists()


def test_a_foreign_host_is_refused_even_for_the_page(api, started):
    """A name of another site pointed at 127.0.0.1 (DNS rebinding) gets neither the page nor its token."""
    port = started.url.rsplit(":", 1)[1].strip("/")
    answer = api.client.get("/", base_url=f"http://evil.example:{port}")
    assert answer.status_code == 403 and started.explorer.token not in answer.get_data(as_text=True)
    page = api.client.get("/", base_url=api.url)
    assert page.status_code == 200 and started.explorer.token in page.get_data(as_text=True)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_only_the_page_files_are_served(api):
    assert api.get("/static/explore.js").status_code == 200
    for path in ("/static/../server.py", "/static/%2e%2e%2fserver.py", "/static/index.html?x", "/etc/passwd"):
        assert api.get(path).status_code == 404


# ---- starting ----

def test_a_port_in_use_is_one_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"port {port} on 127.0.0.1 is in use.*--port={port + 1}"):
            server.bind("127.0.0.1", port)


def test_a_model_folder_with_no_checkpoint_is_one_line(tmp_path):
    with pytest.raises(UserError, match="checkpoint"):
        app.load_model(tmp_path)


def run_explore(*arguments, cwd):
    return subprocess.Popen([sys.executable, str(REPO / "gen" / "explore.py"), *map(str, arguments)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_the_script_says_a_port_in_use_before_loading_the_model(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        completed = run_explore("no-such-model", f"--port={taken.getsockname()[1]}", cwd=tmp_path)
        stdout, stderr = completed.communicate(timeout=60)
    assert completed.returncode == 1 and stderr.count("\n") == 1 and "is in use" in stderr


def test_the_script_serves_and_stops_cleanly_on_ctrl_c(model, tmp_path):
    process = run_explore(model, "--port=0", "--dir_out=loops", cwd=tmp_path)
    try:
        line = process.stdout.readline()
        assert line.startswith("explore: open http://127.0.0.1:") and "loops" in line
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130 and "Traceback" not in stderr


@pytest.mark.parametrize("host, local", [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
                                         ("127.0.0.2", True), ("0.0.0.0", False), ("192.168.1.5", False)])
def test_only_loopback_addresses_count_as_local(host, local):
    assert app.is_local(host) == local


def test_another_address_is_answered_by_its_own_name_too():
    names = app.host_names("192.168.1.5")
    assert "192.168.1.5" in names and "127.0.0.1" in names and "evil.example" not in names
    assert app.url_of("::1", 8001) == "http://[::1]:8001/" and app.url_of("0.0.0.0", 8001) == "http://127.0.0.1:8001/"

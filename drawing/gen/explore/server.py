"""The explorer's HTTP server: the page, its static files and a small JSON API, on Werkzeug.

Safety: the server answers only requests whose Host is its own address (a page of another site cannot
reach it by a DNS name pointed at this machine), refuses a request whose Origin or Sec-Fetch-Site says
another site sent it, and wants the run's token, written into the page it serves, in a header of every
API request (which no other site's page can read or send without the browser asking first). It reads
only the files named on its command line and those uploaded through the page, which stay in memory.

API (JSON in and out unless said; errors are `{"error": "<one line>"}` and the line goes to the log):
  POST /api/drawings  {source, seed, start, count, truncation} -> {items: [{ref, label, title, image}], more}
  POST /api/images    {refs, truncation}               -> {images}  (the keyframe strip, truncation changed)
  POST /api/upload    the bytes of a .npy, its name in X-File-Name -> {source}
  POST /api/loop      {keyframes, frames, interpolation, pace, fps, truncation, page}
                      -> {loop, count, step, side, total, fps, note, pace, times, evening}
  POST /api/loop/<loop>/even                           -> the same for the loop at the even pace (seconds)
  GET  /api/loop/<loop>/frames?start=&count=           -> PNG: the frames stacked top to bottom
  POST /api/save      {name, keyframes, ..., replace}  -> {npy, json, path_command, mp4_command, cwd}

The even pace costs the generator about 2.5 times the loop's frames, seconds on a small model: a loop asked
for at it comes at once at the latent pace with `evening` true (where the model is quick enough for it,
`render.evens_pace`), and the page then asks for its even form, placed while the page plays the latent one.
A newer loop of the same page (its `page`, a random id of each page load) stops that work at the
generator's next batch; the even times found are kept for a loop of the same keyframes and settings
(another fps, the pace changed back and forth).
"""
import errno
import hmac
import json
import logging
import os
import secrets
import socket
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import unquote

import numpy as np
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from drawing.errors import UserError
from drawing.gen.explore import loop, render, sources
from drawing.gen.explore.save import SaveExists, check_name

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Explore-Token"
MAX_UPLOAD = 256 * 2 ** 20     # bytes: a .npy of a million 64-dimension latents
MAX_TRUNCATION = 10.0
MAX_FPS = 240.0
KEPT_LOOPS = 8                 # previews kept for the page to fetch frames from (a change makes a new one)
KEPT_EVEN_TIMES = 16           # loops whose even times are kept
MAX_PAGE_ID = 64
STATIC_TYPES = {"explore.css": "text/css; charset=utf-8", "explore.js": "text/javascript; charset=utf-8"}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
    "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")


@dataclass(frozen=True)
class Settings:
    """What the explorer starts with: the model as typed, the page's first settings, its command line."""
    model: str
    seed: int
    truncation: float
    frames: int
    fps: float
    interpolation: str
    command: str
    pace: str = loop.DEFAULT_PACE


class ApiError(Exception):
    def __init__(self, message, status=400, **extra):
        super().__init__(message)
        self.status = status
        self.extra = extra


def static_file(name):
    return resources.files("drawing.gen.explore").joinpath("static", name).read_bytes()


def number(body, key, low, high, kind=float):
    """`body[key]` as a number within [low, high]; an ApiError otherwise."""
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
            or (kind is int and value != int(value)):
        raise ApiError(f"{key} must be a{' whole' if kind is int else ''} number from {low:g} to {high:g}, "
                       f"not {value!r}")
    return kind(value)


def loop_settings(body):
    """The loop's settings from a request, checked."""
    interpolation = body.get("interpolation")
    if interpolation not in loop.INTERPOLATIONS:
        raise ApiError(f"interpolation must be one of {', '.join(loop.INTERPOLATIONS)}, not {interpolation!r}")
    pace = body.get("pace", loop.DEFAULT_PACE)
    if pace not in loop.PACES:
        raise ApiError(f"pace must be one of {', '.join(loop.PACES)}, not {pace!r}")
    return {"frames": number(body, "frames", loop.MIN_FRAMES, loop.MAX_FRAMES, int),
            "interpolation": interpolation, "pace": pace,
            "fps": number(body, "fps", 1, MAX_FPS), "truncation": truncation_of(body)}


def page_of(body):
    """The id a page load sends with its loops: a newer loop of the page stops the older one's pacing."""
    page = body.get("page", "")
    if not isinstance(page, str) or len(page) > MAX_PAGE_ID:
        raise ApiError(f"page must be a text of at most {MAX_PAGE_ID} characters")
    return page


def truncation_of(body):
    value = body.get("truncation")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_TRUNCATION:
        raise ApiError(f"truncation must be a number above 0 and at most {MAX_TRUNCATION:g}, not {value!r}")
    return float(value)


@dataclass
class Preview:
    """A loop the page plays: the latents and times on the loop of every `plan.step`-th frame, at `pace`;
    `evening` where the page may ask for the even pace that was asked for (what it needs: `keyframes`,
    `settings`); `superseded` once a newer loop of the same `page` came (its pacing stops)."""
    latents: np.ndarray
    times: np.ndarray
    plan: render.PreviewPlan
    pace: str
    evening: bool
    page: str
    keyframes: np.ndarray
    settings: dict
    superseded: threading.Event = field(default_factory=threading.Event)

    def described(self, loop_id):
        """What the page is told of it."""
        plan = self.plan
        return {"loop": loop_id, "count": plan.count, "step": plan.step, "side": plan.side, "total": plan.total,
                "fps": self.settings["fps"], "note": plan.note, "pace": self.pace, "evening": self.evening,
                "times": self.times.tolist()}


class Superseded(Exception):
    """A newer loop of the same page came while this one's even pace was being found."""


def even_key(keyframes, settings):
    """What a loop's even times depend on (not its fps)."""
    return keyframes.tobytes(), settings["frames"], settings["interpolation"], settings["truncation"]


class Explorer:
    """The explorer as a WSGI application: its renderer, sources, saver and the previews being played."""

    def __init__(self, renderer, latent_sources, saver, commands, settings, rate, hosts=LOCAL_NAMES, port=None):
        self.renderer, self.sources, self.saver, self.commands = renderer, latent_sources, saver, commands
        self.settings, self.rate = settings, rate
        self.token = secrets.token_urlsafe(24)
        # The Host values this server answers to: its names with the port it listens on.
        self.allowed_hosts = {f"{host}:{port}" for host in hosts} if port else set(hosts)
        self.loops = OrderedDict()          # loop id: Preview
        self.even_times = OrderedDict()     # even_key: times of the loop's frames at the even pace
        self.loops_lock = threading.Lock()
        self.next_loop = 0
        self.urls = Map([
            Rule("/", endpoint="page", methods=["GET"]),
            Rule("/static/<name>", endpoint="static", methods=["GET"]),
            Rule("/api/drawings", endpoint="drawings", methods=["POST"]),
            Rule("/api/images", endpoint="images", methods=["POST"]),
            Rule("/api/upload", endpoint="upload", methods=["POST"]),
            Rule("/api/loop", endpoint="loop", methods=["POST"]),
            Rule("/api/loop/<int:loop_id>/even", endpoint="even", methods=["POST"]),
            Rule("/api/loop/<int:loop_id>/frames", endpoint="frames", methods=["GET"]),
            Rule("/api/save", endpoint="save", methods=["POST"]),
        ])

    # ---- the WSGI entry and its checks ----

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = MAX_UPLOAD
        try:
            adapter = self.urls.bind_to_environ(environ)
            endpoint, arguments = adapter.match()
            self.check_origin(request)
            if endpoint not in ("page", "static"):
                self.check_token(request)
            response = getattr(self, f"on_{endpoint}")(request, **arguments)
        except ApiError as error:
            log.warning(f"{request.method} {request.path}: {error}")
            response = self.json({"error": str(error), **error.extra}, error.status)
        except UserError as error:
            log.warning(str(error))
            response = self.json({"error": str(error), "exists": isinstance(error, SaveExists)},
                                 409 if isinstance(error, SaveExists) else 400)
        except HTTPException as error:
            response = self.json({"error": error.description}, error.code)
        response.headers.update(SECURITY_HEADERS)
        return response(environ, start_response)

    def check_origin(self, request):
        """Refuse a request addressed to another name than this server's, or sent by another site's page."""
        host = request.headers.get("Host", "")
        if host not in self.allowed_hosts:
            raise ApiError(f"refused a request for host {host!r}: open the address explore.py printed", 403)
        origin = request.headers.get("Origin")
        if origin is not None and origin.removeprefix("http://") not in self.allowed_hosts:
            raise ApiError(f"refused a request from another site ({origin})", 403)
        if request.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
            raise ApiError("refused a request from another site", 403)

    def check_token(self, request):
        if not hmac.compare_digest(request.headers.get(TOKEN_HEADER, "").encode(), self.token.encode()):
            raise ApiError("refused a request without this explorer's token: reload the page", 403)

    @staticmethod
    def json(value, status=200):
        return Response(json.dumps(value), status, mimetype="application/json")

    @staticmethod
    def body(request):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError("expected a JSON object")
        return body

    # ---- the page ----

    def page_config(self):
        """What the page starts with, written into it."""
        settings = self.settings
        return {"token": self.token, "model": settings.model, "resolution": self.renderer.resolution,
                "latent_size": self.renderer.latent_size, "seed": settings.seed,
                "truncation": settings.truncation, "frames": settings.frames, "fps": settings.fps,
                "interpolation": settings.interpolation, "interpolations": list(loop.INTERPOLATIONS),
                "pace": settings.pace, "paces": list(loop.PACES), "page_size": sources.PAGE_SIZE,
                "dir_out": self.commands.dir_out,
                "grid_batch": render.batch_for(self.rate, render.GRID_SECONDS, sources.PAGE_SIZE),
                "first_frames": render.batch_for(self.rate, render.FIRST_FRAMES_SECONDS, render.FIRST_FRAMES),
                "frames_batch": render.batch_for(self.rate, render.CHUNK_SECONDS, render.MAX_CHUNK // 2),
                "max_seed": sources.MAX_SEED, "max_frames": loop.MAX_FRAMES,
                "files": [file.described() for file in self.sources.files.values()]}

    def on_page(self, request):
        config = json.dumps(self.page_config()).replace("<", "\\u003c")
        html = static_file("index.html").decode("utf-8").replace("{{config}}", config)
        return Response(html, mimetype="text/html")

    def on_static(self, request, name):
        if name not in STATIC_TYPES:
            raise NotFound()
        return Response(static_file(name), content_type=STATIC_TYPES[name])

    # ---- drawings ----

    def on_drawings(self, request):
        body = self.body(request)
        refs, latents, more = self.sources.drawings(body.get("source"), body.get("start"), body.get("count"),
                                                    body.get("seed"))
        images = self.renderer.data_uris(loop.truncated(latents, truncation_of(body)),
                                         render.thumbnail_side(self.renderer.resolution)) if len(latents) else []
        items = [{"ref": ref, **self.label(ref), "image": image} for ref, image in zip(refs, images)]
        return self.json({"items": items, "more": more})

    def label(self, ref):
        """The short label under a drawing and the longer title saying where it comes from."""
        if "seed" in ref:
            return {"label": f"#{ref['index']}",
                    "title": f"seed {ref['seed']}, drawing {ref['index']}: frame {ref['index']} of "
                             f"path.py random --seed={ref['seed']}"}
        name = self.sources.file(ref["file"]).name
        return {"label": f"#{ref['row']}", "title": f"{name}, frame {ref['row']} (path.py --pick={ref['row']})"}

    def on_images(self, request):
        body = self.body(request)
        latents = self.sources.latents(body.get("refs"))
        side = render.thumbnail_side(self.renderer.resolution)
        images = self.renderer.data_uris(loop.truncated(latents, truncation_of(body)), side) \
            if len(latents) else []
        return self.json({"images": images})

    def on_upload(self, request):
        name = unquote(request.headers.get("X-File-Name", "")).strip() or "uploaded.npy"
        name = name.replace("/", "_").replace("\\", "_")[:200]
        latent_file = self.sources.add_upload(name, request.get_data(cache=False))
        log.info(f"{name}: {len(latent_file.latents)} latents uploaded")
        return self.json({"source": latent_file.described()})

    # ---- the preview ----

    def on_loop(self, request):
        body = self.body(request)
        settings = loop_settings(body)
        page = page_of(body)
        keyframes = self.sources.latents(body.get("keyframes"))
        if len(keyframes) < 2:
            raise ApiError("add at least 2 keyframes for a loop")
        plan = render.preview_plan(len(keyframes) * settings["frames"], settings["fps"], self.rate,
                                   self.renderer.resolution, settings["pace"])
        with self.loops_lock:
            found = self.even_times.get(even_key(keyframes, settings)) if plan.even else None
        shape = keyframes, settings["frames"], settings["interpolation"]
        if found is None:     # the latent pace, at once; the page asks for the even one next where planned
            latents, times = loop.loop_latents(*shape, "latent", settings["truncation"])
            pace = "latent"
        else:
            latents, times, pace = loop.latents_at(*shape, found, settings["truncation"]), found, "even"
        preview = Preview(latents[::plan.step], times[::plan.step], plan, pace, plan.even and pace == "latent",
                          page, keyframes, settings)
        return self.json(preview.described(self.keep(preview, supersede=True)))

    def on_even(self, request, loop_id):
        """The loop of a preview waiting for its even pace, at that pace: placed now, while the page plays the
        latent one; given up at the generator's next batch once a newer loop of the page came."""
        waiting = self.preview(loop_id)
        if not waiting.evening:
            raise ApiError(f"loop {loop_id} is at its pace already")
        settings = waiting.settings

        def generate(latents):
            if waiting.superseded.is_set():
                raise Superseded()
            return self.renderer.generate(latents)

        try:
            latents, times = loop.loop_latents(waiting.keyframes, settings["frames"], settings["interpolation"],
                                               "even", settings["truncation"], generate)
        except Superseded:
            raise ApiError("a newer change replaced this loop", 409) from None
        with self.loops_lock:
            self.even_times[even_key(waiting.keyframes, settings)] = times
            while len(self.even_times) > KEPT_EVEN_TIMES:
                self.even_times.popitem(last=False)
        step = waiting.plan.step
        even = Preview(latents[::step], times[::step], waiting.plan, "even", False, waiting.page, waiting.keyframes,
                       settings)
        return self.json(even.described(self.keep(even, supersede=False, unless=waiting.superseded)))

    def keep(self, preview, supersede, unless=None):
        """The id of `preview`, kept for the page to fetch its frames; with `supersede`, the older loops of its
        page stop their pacing. A 409 where `unless` is set (a newer loop came meanwhile)."""
        with self.loops_lock:
            if unless is not None and unless.is_set():
                raise ApiError("a newer change replaced this loop", 409)
            if supersede:
                for older in self.loops.values():
                    if older.page == preview.page:
                        older.superseded.set()
            loop_id = self.next_loop
            self.next_loop += 1
            self.loops[loop_id] = preview
            while len(self.loops) > KEPT_LOOPS:
                self.loops.popitem(last=False)[1].superseded.set()
        return loop_id

    def preview(self, loop_id):
        with self.loops_lock:
            if loop_id not in self.loops:
                raise ApiError("this preview is no longer kept; change a setting to make it again", 404)
            return self.loops[loop_id]

    def on_frames(self, request, loop_id):
        preview = self.preview(loop_id)
        latents = preview.latents
        start = request.args.get("start", type=int, default=0)
        count = request.args.get("count", type=int, default=8)
        if not 0 <= start < len(latents) or not 1 <= count <= render.MAX_CHUNK:
            raise ApiError(f"frames: start must be from 0 to {len(latents) - 1} and count from 1 to {render.MAX_CHUNK}")
        chunk = latents[start:start + count]
        response = Response(self.renderer.strip(chunk, preview.plan.side), mimetype="image/png")
        response.headers["X-Frames"] = str(len(chunk))
        return response

    def close(self):
        """Stop every pacing under way (at the generator's next batch): the server is stopping."""
        with self.loops_lock:
            for preview in self.loops.values():
                preview.superseded.set()

    # ---- saving ----

    def on_save(self, request):
        body = self.body(request)
        name = check_name(body.get("name"))
        settings = loop_settings(body)
        refs = body.get("keyframes")
        keyframes = self.sources.latents(refs)
        if len(keyframes) < 2:
            raise ApiError("add at least 2 keyframes before saving")
        path_command = self.commands.path_command(name, settings)
        mp4_command = self.commands.mp4_command(len(keyframes), settings)
        record = {"command": self.settings.command, "cwd": self.commands.cwd,
                  "model": str(Path(self.settings.model).resolve()), "latent_size": self.renderer.latent_size,
                  "resolution": self.renderer.resolution,
                  "seed": self.settings.seed, **settings,
                  "keyframes": [self.sources.recorded(ref) for ref in refs],
                  "sources": [file.described() for file in self.sources.files.values()],
                  "path_command": path_command, "mp4_command": mp4_command}
        npy, record_file = self.saver.save(name, keyframes, record, replace=body.get("replace") is True)
        log.info(f"saved {npy} and {record_file.name}; render the loop with: {path_command}")
        return self.json({"npy": str(npy), "json": str(record_file), "path_command": path_command,
                          "mp4_command": mp4_command, "cwd": self.commands.cwd})


# ---- serving ----

class QuietHandler(WSGIRequestHandler):
    """Werkzeug's handler without a line per request: the explorer logs what matters itself."""

    def log_request(self, *args, **kwargs):
        pass


def bind(host, port):
    """A listening socket on host:port (port 0: a free one); a UserError for a port in use."""
    try:
        return socket.create_server((host.strip("[]"), port),
                                    family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UserError(f"port {port} on {host} is in use (another explorer, or another program); "
                            f"give another with --port, e.g. --port={port + 1}") from None
        if error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
            raise UserError(f"--host {host}: not an address of this machine "
                            f"({os.strerror(error.errno) if error.errno else error})") from None
        if error.errno == errno.EACCES:
            raise UserError(f"port {port}: not allowed to listen there; give a port above 1023") from None
        raise


def server_on(listening, explorer):
    """A threaded Werkzeug server for `explorer` on the socket `bind` made (which it takes over)."""
    host, port = listening.getsockname()[:2]
    server = make_server(host, port, explorer, threaded=True, request_handler=QuietHandler,
                         fd=listening.fileno())
    listening.close()
    return server

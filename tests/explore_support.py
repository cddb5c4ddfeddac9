"""What the explorer's tests share: a tiny untrained model, an explorer started on it, its API as the page
calls it."""
import threading

from conftest import REPO
from werkzeug.test import Client

from drawing.gen.explore import app
from drawing.gen.explore.server import TOKEN_HEADER

LATENT_SIZE = 8
RESOLUTION = 16
SEED = 3


def tiny_model(folder):
    """A training run folder holding one untrained 16 px generator with 8 latent dimensions."""
    from drawing.gan import save_untrained_checkpoint
    save_untrained_checkpoint(folder / "0.checkpoint", resolution=RESOLUTION, latent_size=LATENT_SIZE, seed=0)
    return folder


def start_explorer(model, dir_out, cwd, latent_files=(), generator_loader=app.load_model, **settings):
    """An explorer on a free port of 127.0.0.1, not serving yet; its command lines run from `cwd`."""
    settings = app.Settings(**{"model": str(model), "seed": SEED, "truncation": 1.0, "frames": 4, "fps": 30.0,
                               "interpolation": "spline", "command": "python explore.py model", **settings})
    commands = app.Commands(cwd=str(cwd), scripts=str(REPO / "gen"), model=str(model), dir_out=str(dir_out))
    return app.start(str(model), settings, commands, latent_files=latent_files, port=0,
                     generator_loader=generator_loader)


def serve_in_thread(started):
    thread = threading.Thread(target=started.server.serve_forever, daemon=True)
    thread.start()
    return thread


class Api:
    """The explorer's API called as its page calls it (its Host, Origin and token), without a socket."""

    def __init__(self, started):
        self.client = Client(started.explorer)
        self.url = started.url.rstrip("/")
        self.token = started.explorer.token

    def headers(self, extra):
        return {TOKEN_HEADER: self.token, "Origin": self.url, **extra}

    def get(self, path, headers=None):
        return self.client.get(path, base_url=self.url, headers=self.headers(headers or {}))

    def post(self, path, body=None, data=None, headers=None):
        return self.client.post(path, base_url=self.url, json=body, data=data, headers=self.headers(headers or {}))

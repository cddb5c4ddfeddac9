"""Starting an explorer: the port first (a port in use is said before the model takes seconds to load),
then the model, the latent files, the preview's measured rate, and the server."""
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from drawing.errors import UserError
from drawing.files import check_writable_folder
from drawing.gen.explore import render
from drawing.gen.explore.save import Commands, Saver
from drawing.gen.explore.server import LOCAL_NAMES, Explorer, Settings, bind, server_on
from drawing.gen.explore.sources import Sources, latents_path

LOCAL_HOST = "127.0.0.1"


def load_model(model):
    """The generator of a checkpoint or run folder, TensorFlow imported only now."""
    if not Path(model).exists():
        raise UserError(f"{model}: model not found (give a checkpoint file or a training run folder)")
    from drawing.gan import load_generator
    return load_generator(model)


def is_local(host):
    """Whether `host` is this machine's loopback: only this machine's pages and programs can reach it."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_names(host):
    """The names a browser may use as Host for a server on `host`: the loopback names, and for another
    address that address (for all addresses, this machine's name and its addresses)."""
    names = set(LOCAL_NAMES)
    bare = host.strip("[]")
    names.add(f"[{bare}]" if ":" in bare else bare)
    if bare in ("0.0.0.0", "::"):
        machine = socket.gethostname()
        names.add(machine)
        try:
            names |= {info[4][0] for info in socket.getaddrinfo(machine, None)}
        except OSError:
            pass
    return sorted(names)


def url_of(host, port):
    bare = host.strip("[]")
    shown = LOCAL_HOST if bare in ("0.0.0.0", "::") else (f"[{bare}]" if ":" in bare else bare)
    return f"http://{shown}:{port}/"


@dataclass
class Started:
    server: object       # werkzeug's server: serve_forever(), shutdown()
    explorer: Explorer
    url: str


def start(model, settings, commands, latent_files=(), host=LOCAL_HOST, port=8000, generator_loader=load_model):
    """A server ready to serve the explorer of `model` (call `started.server.serve_forever()`)."""
    check_writable_folder(commands.dir_out)
    for source in latent_files:     # the files named are checked before the model takes seconds to load
        latents_path(source)
    listening = bind(host, port)
    try:
        generator = generator_loader(model)
        latent_sources = Sources(generator.latent_size)
        for source in latent_files:
            latent_sources.add_file(source)
        renderer = render.Renderer(generator)
        rate = renderer.measure_rate(render.preview_side(generator.resolution))
        port = listening.getsockname()[1]
        explorer = Explorer(renderer, latent_sources, Saver(commands.dir_out, [model, *latent_files]), commands,
                            settings, rate, hosts=host_names(host), port=port)
        server = server_on(listening, explorer)
    except BaseException:
        listening.close()
        raise
    return Started(server, explorer, url_of(host, port))


__all__ = ["Commands", "Settings", "Started", "is_local", "load_model", "start"]

"""The plot beside a bitloop, period or phase run: each latent dimension's value over the loop."""
import numpy as np

from drawing.files import atomic_path

PLOT_MAX_DIMENSIONS = 64     # more small charts than this would be unreadable


def plot_waves(latents, path, title):
    """A small chart per dimension of its value over the loop, written as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    frames, dims = latents.shape
    columns = int(np.ceil(np.sqrt(dims)))
    rows = int(np.ceil(dims / columns))
    figure = Figure(figsize=(1.6 * columns, 1.1 * rows + 0.4), dpi=150, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True).ravel()
    for dim, ax in enumerate(axes):
        if dim >= dims:
            ax.set_axis_off()
            continue
        ax.plot(np.arange(frames), latents[:, dim], linewidth=0.8)
        ax.set_title(f"dim {dim + 1}", fontsize=6, pad=2)
        ax.tick_params(labelsize=5, length=2, pad=1)
    figure.suptitle(title, fontsize=8)
    figure.supxlabel("frame", fontsize=7)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png")

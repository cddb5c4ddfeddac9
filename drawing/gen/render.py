"""Frames from latents: the generator in batches, the PNGs encoded and written on other threads meanwhile."""
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from drawing.errors import UserError
from drawing.gen.frames import frame_name
from drawing.images import read_image, to_uint8, write_png
from drawing.parallel import default_workers


def written_frames(run_dir, names, generate_batch):
    """The frames of a batch an interrupted run wrote, read back; generated again where one cannot be
    read (a file someone replaced), which gives the frame as it was written."""
    try:
        return np.stack([read_image(run_dir / name) for name in names])
    except (UserError, ValueError):   # unreadable, or of another size
        return to_uint8(generate_batch())


def render_frames(generate, latents, run_dir, batch_size, workers=None, on_frames=None):
    """Generate the frames batch by batch and write them as PNGs on other threads meanwhile.

    `generate` maps float32 [N, latent_size] to images [N, H, W, 3] in [0, 1]. Threads, not processes:
    TensorFlow is loaded and must not be forked, and OpenCV's PNG encoder releases the GIL. At most
    two batches wait for writing, so memory stays flat however long the path. A batch whose frames are
    all there already (an interrupted run being finished) is skipped; batches always start at multiples
    of `batch_size`, so every frame is computed in the same batch as in an uninterrupted run.
    `on_frames(images)`, if given, sees every frame as written (uint8 [N, H, W, 3]) in order, batch by
    batch (a skipped batch's read back from its files): the motion report measures them so.
    """
    count = len(latents)
    run_dir = Path(run_dir)
    bar = tqdm(total=count, desc="frames", unit="frame", dynamic_ncols=True, disable=None, file=sys.stderr)
    pending = deque()
    with ThreadPoolExecutor(max_workers=workers or default_workers()) as pool:
        try:
            for start in range(0, count, batch_size):
                names = [frame_name(index, count) for index in range(start, min(start + batch_size, count))]
                if all((run_dir / name).is_file() for name in names):
                    if on_frames is not None:
                        on_frames(written_frames(run_dir, names, lambda: generate(latents[start:start + batch_size])))
                    bar.update(len(names))
                    continue
                images = to_uint8(generate(latents[start:start + batch_size]))
                if on_frames is not None:
                    on_frames(images)
                for name, image in zip(names, images):
                    pending.append(pool.submit(write_png, run_dir / name, image))
                while len(pending) > 2 * batch_size:
                    pending.popleft().result()
                    bar.update()
            while pending:
                pending.popleft().result()
                bar.update()
        finally:
            for future in pending:
                future.cancel()
            bar.close()

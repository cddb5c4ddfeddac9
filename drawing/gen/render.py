"""Frames from latents: the generator in batches, the PNGs encoded and written on other threads meanwhile."""
import sys
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from drawing.gen.frames import frame_name
from drawing.images import to_uint8, write_png
from drawing.parallel import default_workers


def render_frames(generate, latents, run_dir, batch_size, workers=None):
    """Generate the frames batch by batch and write them as PNGs on other threads meanwhile.

    `generate` maps float32 [N, latent_size] to images [N, H, W, 3] in [0, 1]. Threads, not processes:
    TensorFlow is loaded and must not be forked, and OpenCV's PNG encoder releases the GIL. At most
    two batches wait for writing, so memory stays flat however long the path. A batch whose frames are
    all there already (an interrupted run being finished) is skipped; batches always start at multiples
    of `batch_size`, so every frame is computed in the same batch as in an uninterrupted run.
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
                    bar.update(len(names))
                    continue
                images = to_uint8(generate(latents[start:start + batch_size]))
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

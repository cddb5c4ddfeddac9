"""gen/explore.py's library: a page in the browser to explore a model and choose the keyframes of a loop.

From the latents up:
- `sources`: where drawings come from: seeded pages (drawing i of seed S is frame i of
  `path.py random --seed=S`) and latent files (a path.py or project.py run, a .npy), named on the command
  line or uploaded through the page.
- `loop`: the loop the preview plays and path.py renders; the one place where its interpolation (and
  pace) is chosen.
- `render`: the generator under a lock, images as PNG, the preview's size and frame step.
- `save`: `<name>.npy` and `<name>.json` in --dir_out, and the command lines that render the loop.
- `server`: the page (static/) and its JSON API on Werkzeug, refusing requests from other sites.
- `app`: starting it all in order (`start`).
Nothing here imports TensorFlow until a model is loaded.
"""

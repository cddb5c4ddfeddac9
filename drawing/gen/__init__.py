"""The generation stage (gen/): checkpoints -> frames -> video, and drawings -> latents. One module per concern:

- `path_run`: a run of path.py (`PathSettings`, `generate_path`): the run folder, its record and latents.
- `styles`: the path styles, the options each reads and their defaults; `latent_paths`: their maths.
- `pace`: where the frames go on a closed path (the latent pace, or the even one by picture change);
  `motion`: how evenly an animation moves (its summary and plot, for path.py's runs and motion.py).
- `keyframes`: the latents a keyframes path picks from an earlier run; `grid`: a grid of loops in one frame.
- `generator`: the model a run loads, and its 8-bit form (--int8); `render`: frames from latents, batched,
  written on threads; `wave_plot`: the plot of a wave path's latents.
- `frames`: frames folders and their pixel maths; `transparency`: rgba.py's copies; `video`: mp4.py's videos.
- `project_run`: project.py's run, the latents of given drawings (drawing.gan.projection does the maths).
"""

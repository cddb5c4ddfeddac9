"""The generation stage (gen/): checkpoints -> frames -> video. Latent paths, frames, videos and projection."""

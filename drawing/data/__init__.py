"""The data stage (data/): scans -> tiles -> shards. Sample scans, spec specimens and their variants, blob
grids and tiles, and the tfrecord schema."""

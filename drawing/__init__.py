"""Code shared by the stages of the drawing pipeline (data/, train/, gen/, fill/)."""

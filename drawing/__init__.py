"""Code shared by the stages of the drawing pipeline (data/, train/, gen/, fill/).

Modules log to `logging.getLogger(__name__)` and never print; scripts show the messages (drawing.cli.run).
"""
import logging

# Until a script shows them, the package's messages go nowhere (not to logging's last-resort stderr output).
logging.getLogger(__name__).addHandler(logging.NullHandler())

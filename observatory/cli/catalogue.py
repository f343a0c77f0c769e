"""``observatory catalogue``."""
from observatory.metadata.catalogue import catalogue_cli as command  # noqa: F401  (moves here with its typer options)

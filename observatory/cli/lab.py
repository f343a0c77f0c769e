"""``observatory lab``."""
from observatory.apps.lab import lab_cli as command  # noqa: F401  (moves here with its typer options)

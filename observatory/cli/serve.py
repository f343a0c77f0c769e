"""``observatory serve``."""
from observatory.apps.serve import serve_cli as command  # noqa: F401  (moves here with its typer options)

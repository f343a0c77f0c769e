"""``observatory add-dataset``."""
from observatory.onboarding.partner_file import add_dataset_cli as command  # noqa: F401  (moves here with its typer options)

"""observatory: an evidence-base workbench for a local-government research observatory."""
__version__ = "0.1.0"

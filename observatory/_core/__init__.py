"""The bottom layer: vocabularies, numbers, periods, digests, files, processes, resources and settings.

Nothing here imports any other part of the package, so every layer above may use it.
"""

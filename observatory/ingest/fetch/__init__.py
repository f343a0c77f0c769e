"""ingest/fetch."""

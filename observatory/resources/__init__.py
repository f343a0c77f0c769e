"""Package data: pack notebooks, dashboards, Leaflet and standard populations (read via observatory._core.resources)."""

"""The information-sharing-charter data catalogue: which partner shares which dataset, on what terms.

The catalogue governs every output: a dataset reaches an audience only when its record allows it
(:mod:`.audience`). Records and the partner register are read in :mod:`.records`, validated in
:mod:`.rules`, attributed in :mod:`.attribution`, tabled for one audience in :mod:`.table` and
exported as CSV and W3C DCAT JSON-LD in :mod:`.exports`. The HTML page and the dashboard widget are
presentation: :mod:`observatory.present.catalogue_page`. See docs/catalogue.md.
"""

from __future__ import annotations

from observatory.errors import ValidationError
from observatory.metadata.catalogue.attribution import (
    LICENCE_URLS,
    attribution_frame,
    attributions,
    licence_url,
    supplying_datasets,
    write_attributions,
)
from observatory.metadata.catalogue.audience import allowed_datasets, audience_allows, check_audience, reaches, visible_indicators
from observatory.metadata.catalogue.exports import (
    ACCESS_RIGHTS,
    CONTEXT,
    OBS,
    catalogue_jsonld,
    catalogue_publisher,
    write_exports,
)
from observatory.metadata.catalogue.records import (
    AUDIENCES,
    CLASSIFICATIONS,
    OPTIONAL,
    PARTNER_TYPES,
    REQUIRED,
    WITHHELD,
    _parse,
    _records,
    catalogue_file,
    catalogue_inputs,
    partners_file,
    read_catalogue,
    read_partners,
)
from observatory.metadata.catalogue.rules import load_catalogue, validate_catalogue, validate_partners
from observatory.metadata.catalogue.table import (
    CSV_COLUMNS,
    REFERENCE_THEME,
    REFERENCE_TITLE,
    REFRESH_DAYS,
    catalogue_frame,
    filter_catalogue,
    filter_options,
    review_flags,
    search_text,
    theme_title,
)

__all__ = [
    "load_catalogue",
    "read_catalogue",
    "validate_catalogue",
    "validate_partners",
    "allowed_datasets",
    "visible_indicators",
    "attributions",
    "attribution_frame",
    "write_attributions",
    "supplying_datasets",
    "audience_allows",
    "check_audience",
    "reaches",
    "review_flags",
    "read_partners",
    "catalogue_file",
    "partners_file",
    "catalogue_inputs",
    "catalogue_frame",
    "filter_catalogue",
    "filter_options",
    "search_text",
    "theme_title",
    "licence_url",
    "catalogue_jsonld",
    "catalogue_publisher",
    "write_exports",
    "ValidationError",
    "AUDIENCES",
    "CLASSIFICATIONS",
    "REQUIRED",
    "OPTIONAL",
    "PARTNER_TYPES",
    "WITHHELD",
    "LICENCE_URLS",
    "CSV_COLUMNS",
    "REFRESH_DAYS",
    "REFERENCE_THEME",
    "REFERENCE_TITLE",
    "OBS",
    "CONTEXT",
    "ACCESS_RIGHTS",
    "_parse",
    "_records",
]

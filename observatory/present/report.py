"""The locality profile and the county overview (where ``observatory.api`` finds them).

The pages live in ``profile_page`` and ``overview_page``; what they share in ``sections``.
"""

from observatory.present.disclosure import COUNTED, SUPPRESSION_THRESHOLD, publishable
from observatory.present.overview_page import CountyOverview
from observatory.present.profile_page import DOWNLOAD_COLUMNS, LocalityProfile, headline, open_profile

__all__ = [
    "COUNTED",
    "DOWNLOAD_COLUMNS",
    "SUPPRESSION_THRESHOLD",
    "CountyOverview",
    "LocalityProfile",
    "headline",
    "open_profile",
    "publishable",
]

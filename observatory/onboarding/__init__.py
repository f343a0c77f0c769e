"""Partner files: inspect a file as it arrives, propose its catalogue record and indicators, apply the proposal.

The public names are those of ``observatory.onboarding.partner_file`` (one list, kept there).
"""

from observatory.onboarding.partner_file import *  # noqa: F403
from observatory.onboarding.partner_file import __all__  # noqa: F401

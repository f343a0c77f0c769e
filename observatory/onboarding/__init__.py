"""Partner files: inspect a file as it arrives, propose its catalogue record and indicators, apply the proposal."""

from observatory.onboarding.partner_file import (
    Inspection,
    Proposal,
    apply_proposal,
    check_proposal,
    inspect_file,
    name_key,
    propose_dataset,
    tidy_frame,
    ward_parents,
)

__all__ = [
    "inspect_file",
    "propose_dataset",
    "check_proposal",
    "apply_proposal",
    "Inspection",
    "Proposal",
    "name_key",
    "tidy_frame",
    "ward_parents",
]

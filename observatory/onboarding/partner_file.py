"""A partner's new file, from inspection to ingestion: what ``observatory add-dataset`` runs.

Partners send spreadsheets shaped for people: a title above the header, merged header cells, ward
names instead of codes, a total row, suppressed counts, thousands separators, semicolons and
Windows encodings. :func:`inspect_file` reads such a file and says what it found;
:func:`propose_dataset` writes *proposals* for the analyst to review — a catalogue record, indicator
definitions, a source entry and the partner's figures as a tidy table — with everything it inferred
marked for review and everything it could not infer left as ``TODO``. It never guesses silently and
never ingests. :func:`apply_proposal` refuses while any marker remains; once the analyst has
completed the records it appends them to the configuration and ingests the source, as one transaction.

Why a converted tidy table rather than adapter options: the ``tidy`` adapter reads files that are
already one row per area and period with codes. Ward names, wide period columns, total rows and
semicolons need more than renaming, so for such files the proposal carries the converted figures
(every row traceable to its line in the partner's file) and the source entry reads that.

Ward figures: the observatory aggregates from small areas, so figures supplied for wards would not
reach locality profiles. When every ward of a locality (district, county) lies wholly within it and
is in the file, the proposal adds the locality's (district's, county's) figures as the sums of its
wards' counts; a suppressed ward count leaves the sum suppressed. See docs/analyst.md.

The concepts live in their own modules: ``grid`` (reading the file, finding the header), ``cells``,
``gazetteer`` (areas by code and name), ``inspection``, ``figures`` (indicators, tidy table, ward sums),
``proposal`` and ``proposal_text``, ``review`` (markers left), ``yaml_edits`` and ``apply``.
"""

from __future__ import annotations

from observatory.onboarding.apply import apply_proposal
from observatory.onboarding.figures import tidy_frame, ward_parents
from observatory.onboarding.gazetteer import name_key
from observatory.onboarding.inspection import Inspection, inspect_file
from observatory.onboarding.proposal import Proposal, propose_dataset
from observatory.onboarding.review import check_proposal

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

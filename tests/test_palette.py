"""The one palette: Fingertips colours keyed by the comparison vocabulary, sequential map colours."""

from __future__ import annotations

import pytest

from observatory._core.vocab import COMPARISONS, NOT_COMPARED
from observatory.present import palette
from observatory.stats.compare import BOTH, SINGLE


def test_every_comparison_outcome_has_one_colour():
    assert tuple(palette.COMPARISON_COLOURS) == COMPARISONS
    assert set(SINGLE) | set(BOTH) <= set(palette.COLOURS)
    assert palette.COMPARISON_COLOURS == {
        "better": "#92D050",
        "similar": "#FFC000",
        "worse": "#C00000",
        "higher": "#C2CCFF",
        "lower": "#5555E6",
        NOT_COMPARED: "#FFFFFF",
    }


@pytest.mark.parametrize(
    "label, key",
    [
        ("Not compared", NOT_COMPARED),
        ("not_compared", NOT_COMPARED),
        (" Better ", "better"),
        (None, NOT_COMPARED),
        (float("nan"), NOT_COMPARED),
        ("suppressed", NOT_COMPARED),
        ("HIGHER", "higher"),
    ],
)
def test_comparison_key_normalises_labels(label, key):
    assert palette.comparison_key(label) == key


def test_comparison_title_reads_for_people():
    assert palette.comparison_title("not_compared") == "Not compared"
    assert palette.comparison_title("worse") == "Worse"


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_sequential_colours_are_distinct_and_light_to_dark(n):
    colours = palette.sequential(n)
    assert len(colours) == len(set(colours)) == n
    order = [palette.SEQUENTIAL_COLOURS.index(c) for c in colours]
    assert order == sorted(order)

"""The parallel suite (``pytest -n 2 --dist loadgroup``) keeps a group's tests on one worker: a test module of its
own unless it names a shared group (the demo pack's), so module fixtures are built once, not on every worker."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("case", ["first", "second"])
def test_an_ungrouped_module_is_its_own_group(request, case):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("groups apply only to a run with --dist loadgroup (./run.sh test)")
    # xdist schedules by this suffix; pytest 9.2 dropped it silently (Node._nodeid renamed), hence the pin below 9.2
    assert request.node.nodeid.endswith("@tests/test_suite_groups.py"), request.node.nodeid


@pytest.mark.xdist_group("packs")
def test_a_named_group_is_kept(request):
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("groups apply only to a run with --dist loadgroup (./run.sh test)")
    assert request.node.nodeid.endswith("@packs"), request.node.nodeid

"""Funnel overdispersion (Spiegelhalter 2005): an observatory extension with no PHEindicatormethods golden values,
so these tests check it against the method's definition on the package's funnel test inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from observatory.stats.funnels import funnel_limits, funnel_significance, spiegelhalter

PHE = Path(__file__).parent / "fixtures" / "phe"


def test_spiegelhalter_phi_and_tau2_by_hand():
    y = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])
    se = np.full(11, 0.1)
    z = (y - 0.6) / 0.1
    low, high = np.quantile(z, [0.1, 0.9])
    phi = np.mean(np.clip(z, low, high) ** 2)
    w = np.full(11, 100.0)
    tau2 = (11 * phi - 10) / (w.sum() - (w**2).sum() / w.sum())
    assert spiegelhalter(y, 0.6, se) == pytest.approx((phi, tau2), rel=1e-12)


@pytest.mark.parametrize("method", ["multiplicative", "additive"])
def test_overdispersed_proportion_limits(method):
    data = pd.read_csv(PHE / "funnel_prop_inputs.csv")
    limits = funnel_limits(data, "numerator", "denominator", statistic="proportion", multiplier=100, overdispersion=method)
    average = data["numerator"].sum() / data["denominator"].sum()
    se = np.sqrt(average * (1 - average) / limits["population"])
    phi, tau2 = limits["phi"].iloc[0], limits["tau2"].iloc[0]
    assert phi > 1  # 300 PCTs of very different sizes: heavily overdispersed
    wide = se * np.sqrt(phi) if method == "multiplicative" else np.sqrt(se**2 + tau2)
    expected = np.clip(average + ndtri(0.975) * wide, 0, 1) * 100
    np.testing.assert_allclose(limits["upper95"], expected, rtol=1e-12)
    plain = funnel_significance(data, "numerator", "denominator", statistic="proportion")
    widened = funnel_significance(data, "numerator", "denominator", statistic="proportion", overdispersion=method)
    assert (widened["significance"] == "Not significant").sum() > (plain["significance"] == "Not significant").sum()


def test_overdispersion_option_is_checked():
    data = pd.read_csv(PHE / "funnel_ratio_inputs.csv")
    with pytest.raises(ValueError, match="overdispersion"):
        funnel_limits(data, "obs", "expected", statistic="ratio", multiplier=100, ratio_type="isr", overdispersion="random")

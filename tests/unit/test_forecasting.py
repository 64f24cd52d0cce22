"""The forecasting library on series whose right answer is known.

Small panels only (the whole file runs in well under a minute on 2 cores); accuracy and
speed at scale are measured by bench/forecast_accuracy.py, not here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecasting
from forecasting.classify import Rules, classify_values

LEVELS = (80, 95)
PINNED = ["unique_id", "ds", "forecast", "forecast_lo_80", "forecast_hi_80",
          "forecast_lo_95", "forecast_hi_95", "model", "demand_class"]
CROSTON_FAMILY = {"CrostonSBA", "ADIDA", "IMAPA", "TSB", "IntermittentEnsemble"}


def panel(series: dict[str, np.ndarray], freq: str = "W-MON",
          end: str = "2025-12-29") -> pd.DataFrame:
    """Long frame; every series ends on `end` (a Monday for weekly data)."""
    frames = []
    for uid, y in series.items():
        ds = pd.date_range(end=end, periods=len(y), freq=freq)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.asarray(y, float)}))
    return pd.concat(frames, ignore_index=True)


def intermittent(n: int, p: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random(n) < p) * (1 + rng.poisson(3, n)).astype(float)


def seasonal_pattern(m: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(20 + 15 * rng.random(m), 1)


def check_intervals(fc: pd.DataFrame) -> None:
    f = fc["forecast"]
    assert fc[PINNED[2:7]].notna().all().all()
    assert (f >= 0).all() and (fc["forecast_lo_95"] >= 0).all()
    assert (fc["forecast_lo_95"] <= fc["forecast_lo_80"] + 1e-9).all()
    assert (fc["forecast_lo_80"] <= f + 1e-9).all() and (f <= fc["forecast_hi_80"] + 1e-9).all()
    assert (fc["forecast_hi_80"] <= fc["forecast_hi_95"] + 1e-9).all()


# --- known structure ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def weekly():
    """One panel of weekly series with known structure, forecast once for several tests."""
    m, n = 52, 156
    t = np.arange(n)
    series = {
        "seasonal": np.tile(seasonal_pattern(m), 3),
        "trend": 40 + 1.5 * t,
        "intermittent": intermittent(n, 0.25, seed=11),
        "zeros": np.zeros(n),
        "one_point": np.array([7.0]),
        "short": np.array([3.0, 5, 4, 6, 5]),
        "noisy": np.random.default_rng(5).poisson(30, n).astype(float),
    }
    history = panel(series)
    return series, history, forecasting.forecast(history, 26, "W-MON", n_jobs=1)


def test_output_columns_are_the_pinned_ones(weekly):
    _, _, fc = weekly
    assert list(fc.columns) == PINNED


def test_every_series_gets_the_whole_horizon(weekly):
    series, history, fc = weekly
    assert sorted(fc["unique_id"].unique()) == sorted(series)
    last = history.groupby("unique_id")["ds"].max()
    for uid, g in fc.groupby("unique_id"):
        expected = pd.date_range(last[uid], periods=27, freq="W-MON")[1:]
        assert list(g["ds"]) == list(expected)


def test_bounds_are_ordered_nested_and_non_negative(weekly):
    check_intervals(weekly[2])


def test_pure_seasonal_series_repeats_its_season(weekly):
    series, _, fc = weekly
    f = fc.loc[fc.unique_id == "seasonal", "forecast"].to_numpy()
    np.testing.assert_allclose(f, series["seasonal"][-52:][:26], rtol=1e-6, atol=1e-6)


def test_linear_trend_is_continued(weekly):
    _, _, fc = weekly
    f = fc.loc[fc.unique_id == "trend", "forecast"].to_numpy()
    np.testing.assert_allclose(f, 40 + 1.5 * np.arange(156, 182), rtol=1e-3)


def test_intermittent_series_gets_a_croston_family_model(weekly):
    _, _, fc = weekly
    g = fc[fc.unique_id == "intermittent"]
    assert set(g["demand_class"]) == {"intermittent"}
    assert set(g["model"]) <= CROSTON_FAMILY
    rate = weekly[0]["intermittent"].mean()
    assert (g["forecast"] > 0).all() and (g["forecast"] < 3 * rate).all()
    assert (g["forecast_lo_80"] == 0).all()  # a zero week is always a plausible week


def test_all_zero_series_is_dead_with_a_zero_forecast(weekly):
    _, _, fc = weekly
    g = fc[fc.unique_id == "zeros"]
    assert set(g["demand_class"]) == {"dead"}
    assert (g[PINNED[2:7]].to_numpy() == 0).all()


def test_one_point_and_short_series_still_get_a_forecast(weekly):
    _, _, fc = weekly
    one = fc[fc.unique_id == "one_point"]
    assert len(one) == 26 and set(one["demand_class"]) == {"new"}
    np.testing.assert_allclose(one["forecast"], 7.0)
    assert (one["forecast_hi_95"] > 7.0).all()
    short = fc[fc.unique_id == "short"]
    np.testing.assert_allclose(short["forecast"], np.mean([3, 5, 4, 6, 5]))


def test_noisy_level_is_forecast_near_its_mean(weekly):
    _, _, fc = weekly
    g = fc[fc.unique_id == "noisy"]
    assert np.all(np.abs(g["forecast"] - 30) < 5)
    assert g["demand_class"].iloc[0] == "smooth"
    assert (g["forecast_hi_80"] - g["forecast_lo_80"]).between(5, 30).all()


def test_very_long_series():
    """Twenty years of weekly history: works, repeats its season, stays fast."""
    y = np.tile(seasonal_pattern(52, seed=9), 20) + np.random.default_rng(1).normal(0, 0.5, 1040)
    fc = forecasting.forecast(panel({"long": y}), 26, "W-MON", n_jobs=1)
    assert len(fc) == 26
    check_intervals(fc)
    np.testing.assert_allclose(fc["forecast"], y[-52:-26], atol=4.0)


# --- frequencies and inputs ----------------------------------------------------------------

def test_season_length_follows_the_frequency():
    assert forecasting.calendar("W-MON")[0] == 52
    assert forecasting.calendar("MS")[0] == 12 and forecasting.calendar("M")[0] == 12
    assert forecasting.calendar("QS")[0] == 4 and forecasting.calendar("Q")[0] == 4
    assert forecasting.calendar("D")[0] == 7


@pytest.mark.parametrize("freq,m,end", [("MS", 12, "2025-12-01"), ("ME", 12, "2025-12-31"),
                                        ("QS", 4, "2025-10-01"), ("QE", 4, "2025-12-31")])
def test_monthly_and_quarterly_frequencies(freq, m, end):
    pattern = seasonal_pattern(m, seed=4)
    series = {"seasonal": np.tile(pattern, 6), "trend": 100 + 3.0 * np.arange(6 * m),
              "intermittent": intermittent(6 * m, 0.3, seed=2)}
    h = 2 * m
    fc = forecasting.forecast(panel(series, freq=freq, end=end), h, freq, n_jobs=1)
    assert list(fc.columns) == PINNED and len(fc) == 3 * h
    check_intervals(fc)
    s = fc[fc.unique_id == "seasonal"]["forecast"].to_numpy()
    np.testing.assert_allclose(s, np.tile(pattern, 2), rtol=1e-6)
    # CES (the model picked) carries a trend on to within ~1 %, not exactly as Holt would;
    # an exact trend model among the monthly candidates cost 1.5–3 % MASE on M1/Tourism
    t = fc[fc.unique_id == "trend"]["forecast"].to_numpy()
    np.testing.assert_allclose(t, 100 + 3.0 * np.arange(6 * m, 6 * m + h), rtol=0.02)
    assert np.all(np.diff(t) > 0.8 * 3.0)
    first = fc[fc.unique_id == "seasonal"]["ds"].iloc[0]
    assert first == pd.date_range(end, periods=2, freq=freq)[1]


def test_missing_weeks_are_zero_demand_and_ids_keep_their_type():
    history = panel({1: intermittent(120, 0.4, seed=3) + 1})
    history = history.drop(index=[10, 11, 50]).sample(frac=1, random_state=0)  # gaps, shuffled
    fc = forecasting.forecast(history, 8, "W-MON", n_jobs=1)
    assert fc["unique_id"].tolist() == [1] * 8
    stats = forecasting.classify(history, "W-MON")
    assert stats.loc[0, "n_obs"] == 120  # the three missing weeks are back, as zeros


def test_bad_inputs_are_refused_with_a_reason():
    history = panel({"a": np.arange(60.0)})
    with pytest.raises(ValueError, match="calendar"):
        forecasting.forecast(history, 4, "W-SUN")  # dates are Mondays
    with pytest.raises(ValueError, match="duplicate"):
        forecasting.forecast(pd.concat([history, history.tail(1)]), 4, "W-MON")
    with pytest.raises(ValueError, match="columns"):
        forecasting.forecast(history.rename(columns={"y": "qty"}), 4, "W-MON")


# --- classification ---------------------------------------------------------------------------

def test_classification_thresholds():
    rules = Rules(min_history=8, dead_after=26)
    smooth = np.full(40, 10.0)
    assert classify_values(smooth, rules)[0] == "smooth"
    # CV² just under / over 0.49 with a demand every period
    lo = np.tile([10 - 6.9, 10 + 6.9], 20)     # CV² = 0.476 (ddof=1: 0.488)
    hi = np.tile([10 - 7.1, 10 + 7.1], 20)     # CV² ≈ 0.517
    assert classify_values(lo, rules)[0] == "smooth"
    assert classify_values(hi, rules)[0] == "erratic"
    # ADI: demand 3 weeks in 4 → 1.33 (≥ 1.32, intermittent); 4 in 5 → 1.25 (smooth side)
    three_in_four = np.tile([5.0, 5.0, 5.0, 0.0], 13)
    four_in_five = np.tile([5.0, 5.0, 5.0, 5.0, 0.0], 10)
    assert classify_values(three_in_four, rules)[0] == "intermittent"
    assert classify_values(four_in_five, rules)[0] == "smooth"
    lumpy = np.tile([1.0, 0.0, 20.0, 0.0], 13)
    assert classify_values(lumpy, rules)[0] == "lumpy"
    _, _, stats = classify_values(three_in_four[:-1], rules)
    assert stats["adi"] == pytest.approx(51 / 39)


def test_new_and_dead_rules():
    rules = Rules(min_history=26, dead_after=26)
    assert classify_values(np.r_[np.zeros(100), np.full(10, 4.0)], rules)[0] == "new"
    assert classify_values(np.r_[np.full(100, 4.0), np.zeros(30)], rules)[0] == "dead"
    # silent for 30 weeks, but it used to order only every ~20 weeks: not dead yet
    rare = np.zeros(130)
    rare[[0, 20, 40, 60, 80, 99]] = 5.0
    assert classify_values(rare, rules)[0] == "intermittent"
    assert classify_values(np.zeros(5), rules)[0] == "dead"


def test_classify_returns_one_row_per_series(weekly):
    _, history, fc = weekly
    stats = forecasting.classify(history, "W-MON")
    assert list(stats.columns) == ["unique_id", "n_obs", "n_demands", "adi", "cv2",
                                   "trailing_zeros", "demand_class"]
    by_id = fc.drop_duplicates("unique_id").set_index("unique_id")["demand_class"]
    assert stats.set_index("unique_id")["demand_class"].to_dict() == by_id.to_dict()


# --- backtest ---------------------------------------------------------------------------------

def test_backtest_seasonal_naive_matches_an_independent_computation():
    rng = np.random.default_rng(8)
    m, n, h, windows = 52, 150, 13, 2
    series = {f"s{i}": rng.poisson(20 + 10 * np.sin(np.arange(n) / 8.0 + i)).astype(float)
              for i in range(4)}
    series["i0"] = intermittent(n, 0.3, seed=4)
    per_series, overall = forecasting.backtest(panel(series), h, "W-MON", windows=windows,
                                               n_jobs=1)
    assert len(per_series) == 5 and overall["windows"] == windows

    abs_err = err = actual = 0.0
    mase = []
    for y in series.values():
        for w in range(windows):
            cut = n - h - h * (windows - 1 - w)
            train, test = y[:cut], y[cut:cut + h]
            f = np.resize(train[-m:], h)
            abs_err += np.abs(f - test).sum()
            err += (f - test).sum()
            actual += test.sum()
            mase.append(np.mean(np.abs(f - test)) / np.mean(np.abs(train[m:] - train[:-m])))
    assert overall["snaive_wape"] == pytest.approx(abs_err / actual)
    assert overall["snaive_bias"] == pytest.approx(err / actual)
    assert overall["snaive_mase"] == pytest.approx(np.mean(mase))
    assert overall["mase_ratio"] == pytest.approx(overall["mase"] / np.mean(mase))
    assert {"wape", "mase", "bias", "coverage_80", "coverage_95"} <= set(per_series.columns)
    assert 0 <= overall["coverage_80"] <= overall["coverage_95"] <= 1


def test_backtest_model_metrics_match_forecast_on_the_truncated_history():
    y = np.random.default_rng(2).poisson(25, 120).astype(float)
    history = panel({"a": y})
    _, overall = forecasting.backtest(history, 10, "W-MON", windows=1, n_jobs=1)
    fc = forecasting.forecast(history.iloc[:-10], 10, "W-MON", n_jobs=1)["forecast"].to_numpy()
    actual = y[-10:]
    assert overall["wape"] == pytest.approx(np.abs(fc - actual).sum() / actual.sum())
    assert overall["bias"] == pytest.approx((fc - actual).sum() / actual.sum())


# --- engines ----------------------------------------------------------------------------------

def test_process_pool_gives_the_same_forecasts():
    rng = np.random.default_rng(6)
    series = {f"p{i:03d}": (rng.random(60) < 0.5) * rng.poisson(4, 60) for i in range(220)}
    history = panel(series)
    one = forecasting.forecast(history, 6, "W-MON", n_jobs=1)
    two = forecasting.forecast(history, 6, "W-MON", n_jobs=2)
    pd.testing.assert_frame_equal(one, two)


def test_dask_engine_gives_the_same_forecasts_as_local():
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(12)
    t = np.arange(130)
    series = {"seasonal": 30 + 10 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 1, 130),
              "intermittent": intermittent(130, 0.3, seed=1),
              "zeros": np.zeros(130), "new": np.array([2.0, 4.0])}
    history = panel(series)
    local = forecasting.forecast(history, 8, "W-MON", n_jobs=1)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                            dashboard_address=None) as client:
        remote = forecasting.forecast(history, 8, "W-MON", engine=client)
    assert list(remote.columns) == PINNED
    pd.testing.assert_frame_equal(local, remote, check_exact=False, rtol=1e-9, atol=1e-9)

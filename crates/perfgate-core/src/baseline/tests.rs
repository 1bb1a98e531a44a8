//! Baseline statistics, far modes, trends and health on small known histories.

use super::*;

#[test]
fn robust_scale_ignores_spikes() {
    let mut v: Vec<f64> = (0..20).map(|i| 100.0 + (i % 5) as f64).collect();
    let (_, clean) = robust_center_scale(&v);
    v[3] = 1000.0;
    v[9] = 900.0;
    let (med, spiky) = robust_center_scale(&v);
    assert!((spiky - clean).abs() / clean < 0.5, "{spiky} vs {clean}");
    assert!((med - 102.0).abs() < 1.5);
    let b = BaselineStats::compute(&v, 3.0).unwrap();
    assert_eq!(b.outliers, 2);
    assert!(b.mean < 105.0);
}

#[test]
fn no_trend_from_values_that_overflow_its_sums() {
    let mut pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 1.0 + i as f64)).collect();
    pts[8].1 = f64::MAX;
    pts[9].1 = -f64::MAX;
    assert_eq!(Trend::of_history(&pts), None);
}

#[test]
fn trend_detects_a_slope_and_not_noise() {
    let up: Vec<(f64, f64)> = (0..20)
        .map(|i| (i as f64, 100.0 + 2.0 * i as f64 + (i % 3) as f64))
        .collect();
    let t = Trend::fit(&up, TrendPer::Run).unwrap();
    assert!(t.significant && t.slope > 1.5 && t.ci_low < 2.0 && t.ci_high > 2.0);
    let flat: Vec<(f64, f64)> = (0..20)
        .map(|i| (i as f64, 100.0 + [1.0, -1.0, 0.5, -0.5][i % 4]))
        .collect();
    assert!(!Trend::fit(&flat, TrendPer::Run).unwrap().significant);
}

#[test]
fn trend_rate_is_per_run_for_runs_seconds_apart_and_its_interval_holds_it() {
    // Twelve runs a few seconds apart, rising 3 units a run with noise: the
    // real-run case that printed "+300.86%/day (CI -89.469..+145.543)".
    let pts: Vec<(f64, f64)> = (0..12)
        .map(|i| {
            (
                i as f64 * 5.0 / 86400.0,
                50.0 + 3.0 * i as f64 + [4.0, -3.0, 1.0][i % 3],
            )
        })
        .collect();
    let t = Trend::of_history(&pts).unwrap();
    assert_eq!(t.per, TrendPer::Run);
    assert!(t.ci_low <= t.slope && t.slope <= t.ci_high, "{t:?}");
    assert!(t.pct_ci_low <= t.pct && t.pct <= t.pct_ci_high, "{t:?}");
    assert!(t.pct > 2.0 && t.pct < 10.0, "a rate per run: {t:?}");
    assert!(t.describe().contains("%/run"), "{}", t.describe());
    // The same values over three weeks: per day.
    let days: Vec<(f64, f64)> = pts
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64 * 2.0, p.1))
        .collect();
    let d = Trend::of_history(&days).unwrap();
    assert_eq!(d.per, TrendPer::Day);
    assert!(d.pct_ci_low <= d.pct && d.pct <= d.pct_ci_high);
    // Too few runs: no trend at all.
    assert!(Trend::of_history(&pts[..MIN_TREND_RUNS - 1]).is_none());
}

#[test]
fn spikes_above_and_dips_below_are_each_rare_not_a_mode_together() {
    // 40 runs around 100 with three spikes to 200 and three dips to 55: six
    // outliers are more than a tenth of the runs, but a mode lies on one side.
    let v: Vec<f64> = (0..40)
        .map(|i| match i {
            5 | 18 | 31 => 200.0,
            9 | 22 | 35 => 55.0,
            _ => 100.0 + (i % 5) as f64 - 2.0,
        })
        .collect();
    let st = BaselineStats::compute_for(&v, 3.0, None).unwrap();
    assert_eq!(st.outliers, 6, "{st:?}");
    assert!(st.std < 2.0 && (st.mean - 100.0).abs() < 0.5, "{st:?}");
    // Six on one side are a second mode: kept, and the scale says so.
    let one_side: Vec<f64> = v
        .iter()
        .map(|&x| if x < 60.0 { 200.0 } else { x })
        .collect();
    let st = BaselineStats::compute_for(&one_side, 3.0, None).unwrap();
    assert_eq!(st.outliers, 0, "{st:?}");
    assert!(st.std > 30.0, "{st:?}");
}

#[test]
fn a_cluster_of_spikes_is_rare_in_the_longer_history_around_its_window() {
    // 90 runs around 100 (sd ~1.4) with spikes to 200, six of which happen to
    // fall in the newest 30: alone, that window reads them as a second mode.
    let v: Vec<f64> = (0..90)
        .map(|i| match i {
            61 | 66 | 71 | 76 | 81 | 86 => 200.0,
            _ => 100.0 + (i % 5) as f64 - 2.0,
        })
        .collect();
    let window = &v[60..];
    let alone = BaselineStats::compute_for(window, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(alone.outliers, 0, "{alone:?}");
    assert!(alone.std > 30.0, "{alone:?}");
    let within = BaselineStats::compute_within(window, &v, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(within.outliers, 6, "{within:?}");
    assert!(
        within.std < 2.0 && (within.mean - 100.0).abs() < 0.5,
        "{within:?}"
    );
    assert_eq!(within.n, 30);
    // A mode in a quarter of the longer history is the metric's own: kept.
    let mode: Vec<f64> = (0..90)
        .map(|i| {
            if i % 4 == 0 {
                110.0
            } else {
                100.0 + (i % 3) as f64
            }
        })
        .collect();
    let st =
        BaselineStats::compute_within(&mode[60..], &mode, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 0, "{st:?}");
}

#[test]
fn spikes_far_up_are_dropped_up_to_one_run_in_eight() {
    // 40 runs around 100 (robust sd ~1.5) with five spikes to 200: more than a
    // tenth, but far beyond any second mode, and they would make the scale 35.
    let spiky = |every: usize| -> Vec<f64> {
        (0..40)
            .map(|i| {
                if i % every == 3 {
                    200.0
                } else {
                    100.0 + (i % 5) as f64 - 2.0
                }
            })
            .collect()
    };
    let v = spiky(8);
    let st = BaselineStats::compute_for(&v, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 5, "{st:?}");
    assert!(st.std < 2.0 && (st.mean - 100.0).abs() < 0.5, "{st:?}");
    // On a higher-is-better metric they lie as far on its good side, as
    // dropouts do on the other; without a direction no run is far: a mode.
    let st = BaselineStats::compute_for(&v, 3.0, Some(Direction::Higher)).unwrap();
    assert_eq!(st.outliers, 5, "{st:?}");
    assert_eq!(BaselineStats::compute(&v, 3.0).unwrap().outliers, 0);
    // Six in 40 (5% of runs spiking draws that many one history in twenty) are
    // still spikes; in more than one run in six they are the metric's own mode:
    // kept.
    let st = BaselineStats::compute_for(&spiky(7), 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 6, "{st:?}");
    let st = BaselineStats::compute_for(&spiky(5), 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 0, "{st:?}");
    assert!(st.std > 30.0, "{st:?}");
}

#[test]
fn a_far_mode_is_the_runs_the_baseline_keeps_as_far_out_as_spikes() {
    let spiky = |every: usize, at: f64| -> Vec<f64> {
        (0..40)
            .map(|i| {
                if i % every == 3 {
                    at
                } else {
                    100.0 + (i % 5) as f64 - 2.0
                }
            })
            .collect()
    };
    let far = |v: &[f64], dir| FarMode::of(v, v, 3.0, dir);
    // One run in four at 200: kept, as too many to be rare.
    let v = spiky(4, 200.0);
    let mode = far(&v, Direction::Lower).expect("a far mode");
    // It begins half way from the other runs' median to its own.
    assert_eq!(mode.edge(), 150.0);
    assert!(mode.holds(200.0) && mode.holds(151.0));
    assert!(!mode.holds(149.0) && !mode.holds(100.0) && !mode.holds(20.0));
    // Told by its centre: its lower runs may stand short of 12 of the other
    // runs' sds (17 here), as half of them do at 115, the rest at 125.
    let spread: Vec<f64> = v
        .iter()
        .enumerate()
        .map(|(i, &x)| match x {
            200.0 if i % 8 == 3 => 115.0,
            200.0 => 125.0,
            _ => x,
        })
        .collect();
    let mode = far(&spread, Direction::Lower).expect("a far mode");
    assert!(mode.holds(115.0) && !mode.holds(108.0));
    // A step of the other runs in the window (a change not yet alerted) widens
    // their std to 5: by it, a mode at 150 would be no far one. Their
    // run-to-run spread is what measures them.
    let stepped: Vec<f64> = spiky(4, 150.0)
        .into_iter()
        .enumerate()
        .map(|(i, x)| if x < 150.0 && i >= 26 { x + 10.0 } else { x })
        .collect();
    let mode = far(&stepped, Direction::Lower).expect("a far mode");
    assert!(mode.holds(150.0) && !mode.holds(112.0));
    // Rare spikes are dropped from the baseline: no mode. Nor is a second mode
    // a few sigma up, nor a fast mode on a latency's good side.
    assert_eq!(far(&spiky(8, 200.0), Direction::Lower), None);
    assert_eq!(far(&spiky(4, 110.0), Direction::Lower), None);
    assert_eq!(far(&spiky(4, 200.0), Direction::Higher), None);
    // On a throughput, the far mode lies low.
    let mode = far(&spiky(4, 20.0), Direction::Higher).expect("a far mode");
    assert!(mode.holds(20.0) && !mode.holds(100.0));
}

#[test]
fn a_blip_among_a_short_historys_other_runs_does_not_hide_its_far_mode() {
    // 20 runs (a short history's window): 5 in a mode 20 sigma up, the others
    // at 100 with sigma 5, and two runs of a 2-sigma blip (117, 108) among them
    // that widen their std to 8.6: by it, the mode at 200 stood under 12 of
    // their sds. Without their two extreme runs they read 7.7.
    let v = [
        198.70, 100.74, 92.88, 196.65, 197.98, 114.38, 99.70, 94.27, 103.66, 96.74, 97.04, 100.75,
        198.96, 105.65, 106.47, 82.25, 214.51, 102.68, 117.06, 108.01,
    ];
    let mode = FarMode::of(&v, &v, 3.0, Direction::Lower).expect("a far mode");
    assert!(mode.holds(196.65) && mode.holds(214.51));
    assert!(!mode.holds(117.06) && !mode.holds(130.0));
    // Trimmed or not, a second mode 9 sigma up is no far one.
    let near: Vec<f64> = v
        .iter()
        .map(|&x| if x > 150.0 { x - 55.0 } else { x })
        .collect();
    assert_eq!(FarMode::of(&near, &near, 3.0, Direction::Lower), None);
}

#[test]
fn a_window_holding_a_far_mode_in_half_its_runs_still_tells_it_from_the_others() {
    let noise = |i: usize| 100.0 + (i % 5) as f64 - 2.0;
    let mode = |i: usize| 200.0 + (i % 3) as f64;
    // One run in four at 200 (a far slow mode) for 40 runs; then the window of
    // 20 holds it, by chance, in 11.
    let mut context: Vec<f64> = (0..40)
        .map(|i| if i % 4 == 3 { mode(i) } else { noise(i) })
        .collect();
    let window: Vec<f64> = (0..20)
        .map(|i| {
            if i % 2 == 0 || i == 5 {
                mode(i)
            } else {
                noise(i)
            }
        })
        .collect();
    context.extend(&window);
    // The window's centre lies in the mode. The others are no dropouts for it:
    // they are most of the history, and the baseline must not become the mode.
    let stats =
        BaselineStats::compute_within(&window, &context, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(stats.outliers, 0, "{stats:?}");
    assert!(stats.mean < 160.0, "{stats:?}");
    // And the far mode is told by the gap between the two.
    let far = FarMode::of(&window, &context, 3.0, Direction::Lower).expect("a far mode");
    assert!(far.holds(199.0) && !far.holds(104.0), "{far:?}");
    // Not where the gap is a quantised metric's step: whole milliseconds of
    // 0.3 ms of noise, mostly 4 and a fifth of the runs 5.
    let quantised: Vec<f64> = (0..20)
        .map(|i| if i % 5 == 2 { 5.0 } else { 4.0 })
        .collect();
    assert_eq!(
        FarMode::of(&quantised, &quantised, 3.0, Direction::Lower),
        None
    );
}

#[test]
fn one_run_in_a_wide_modes_lower_tail_leaves_the_mode_told_with_a_stray() {
    // The detection benchmark's far-20%-wide, seed 20262127, series 146: the
    // window before a 6-sigma step of the other runs, 7 of 20 in a far mode
    // 20 sigma up and three times as noisy, one of them (140) 12 sigma up.
    let window = [
        101.0, 140.0, 209.0, 97.0, 91.0, 162.0, 105.0, 98.0, 212.0, 193.0, 91.0, 194.0, 97.0,
        200.0, 96.0, 112.0, 105.0, 101.0, 101.0, 100.0,
    ];
    let of = |w: &[f64]| FarMode::with_strays(w, w, 3.0, Direction::Lower, 1);
    assert_eq!(FarMode::of(&window, &window, 3.0, Direction::Lower), None);
    let (far, strays) = of(&window).expect("a far mode with a stray");
    assert_eq!(strays, 1);
    // The step's runs, 6 sigma up, lie short of it; the mode's runs beyond.
    assert!(!far.holds(130.0) && far.holds(162.0), "{far:?}");
    // Two such runs are a spread mode, not a far one.
    let mut two = window;
    two[3] = 140.0;
    assert_eq!(of(&two), None);
}

#[test]
fn dropouts_are_told_by_the_scale_of_the_runs_short_of_them() {
    // The detection benchmark's dropouts (5% of runs 10 sigma low), seed
    // 20262127, series 278: a window of 30 with 4 of them. They made the MAD
    // 1.7 times the noise, by which they stood under 6 robust sigmas low: no
    // dropouts, kept, and the scale a regression was measured by read 17.7.
    let window = [
        95.9878, 98.3504, 107.2168, 107.2370, 50.3829, 103.7786, 91.9534, 101.1360, 97.3140,
        105.3200, 90.0928, 106.6624, 98.2619, 91.5363, 104.7871, 95.5570, 95.2420, 107.9653,
        108.9610, 93.4384, 48.8273, 99.9900, 48.1580, 101.1295, 101.3827, 94.3986, 99.1364,
        108.9127, 93.4451, 58.5744,
    ];
    let st = BaselineStats::compute_for(&window, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 4, "{st:?}");
    assert!(st.std < 6.0, "{st:?}");
}

#[test]
fn dropouts_on_the_good_side_leave_the_scale_a_regression_is_measured_by() {
    // 30 runs around 100 (sd ~1), 6 of them dropping out to 50: more than one
    // in six, so as a second mode on the bad side they would be kept.
    let v: Vec<f64> = (0..30)
        .map(|i| match i {
            3 | 8 | 13 | 18 | 23 | 28 => 50.0,
            _ => 100.0 + (i % 5) as f64 - 2.0,
        })
        .collect();
    let lower_is_better = BaselineStats::compute_for(&v, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(lower_is_better.outliers, 6, "{lower_is_better:?}");
    assert!(lower_is_better.std < 2.0, "{lower_is_better:?}");
    assert!((lower_is_better.mean - 100.0).abs() < 0.5);
    // The same runs on a higher-is-better metric are a slow mode: kept.
    let higher_is_better = BaselineStats::compute_for(&v, 3.0, Some(Direction::Higher)).unwrap();
    assert_eq!(higher_is_better.outliers, 0);
    assert!(higher_is_better.std > 10.0, "{higher_is_better:?}");
    assert_eq!(BaselineStats::compute(&v, 3.0), Some(higher_is_better));
    // A good-side mode in more than one run in five is the metric's own.
    let mode: Vec<f64> = (0..30)
        .map(|i| if i % 4 == 0 { 50.0 } else { 100.0 })
        .collect();
    assert_eq!(
        BaselineStats::compute_for(&mode, 3.0, Some(Direction::Lower))
            .unwrap()
            .outliers,
        0
    );
    // Low runs within the noise's reach (under 6 robust sigmas) are no dropouts:
    // more than one in ten of them, with the rest, is the metric's own spread.
    let tail: Vec<f64> = v
        .iter()
        .map(|&x| if x == 50.0 { 92.0 } else { x })
        .collect();
    let st = BaselineStats::compute_for(&tail, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 0, "{st:?}");
    // A near-constant p95 (the demo's): 1% under the rest is many robust sigmas
    // once the MAD collapses, but no dropout; nor is one run of five.
    let flat: Vec<f64> = (0..20)
        .map(|i| [4.6401, 4.6399, 4.6203, 4.6402, 4.6012][i % 5])
        .collect();
    for n in [5, 20] {
        let st = BaselineStats::compute_for(&flat[..n], 3.0, Some(Direction::Lower));
        assert_eq!(st.unwrap().outliers, 0, "{n} runs");
    }
    let few = [100.0, 101.0, 50.0, 99.0, 100.0];
    let st = BaselineStats::compute_for(&few, 3.0, Some(Direction::Lower)).unwrap();
    assert_eq!(st.outliers, 0, "{st:?}");
}

#[test]
fn health_drops_with_few_noisy_samples() {
    let good = BaselineStats::compute(
        &(0..30).map(|i| 100.0 + (i % 3) as f64).collect::<Vec<_>>(),
        3.0,
    )
    .unwrap();
    let h = Health::score(&good, None, 0.1, 20, 30.0, 0.15);
    assert!(h.score > 0.9, "{h:?}");
    let bad = BaselineStats::compute(&[100.0, 160.0, 60.0, 130.0, 80.0], 3.0).unwrap();
    let h = Health::score(&bad, None, 20.0, 20, 30.0, 0.15);
    assert!(h.score < HEALTH_REFRESH_BELOW, "{h:?}");
    assert!(h.reasons.iter().any(|r| r.contains("5 of 20")));
    // Still building: it needs runs, and a refresh would only set it back.
    assert!(!h.advises_refresh(), "{h:?}");
    // All its samples, and as noisy: a refresh is advised.
    let noisy: Vec<f64> = (0..20)
        .map(|i| [100.0, 160.0, 60.0, 130.0, 80.0][i % 5])
        .collect();
    let full = BaselineStats::compute(&noisy, 3.0).unwrap();
    let h = Health::score(&full, None, 20.0, 20, 30.0, 0.15);
    assert!(h.advises_refresh(), "{h:?}");
}

#[test]
fn a_cluster_of_outliers_apart_from_the_other_runs_is_rare_by_a_run_of_slack() {
    // 22 runs around 100 (sd ~2) with three 7 sigma up: one run too many for a
    // tenth, but a tight cluster well apart from the others, short of the spike
    // line: dropped, flagged so the streak reads their rate at its upper bound.
    let runs = |high: [f64; 3], n: usize| -> Vec<f64> {
        (0..n)
            .map(|i| match i {
                3 => high[0],
                9 => high[1],
                16 => high[2],
                _ => 100.0 + [0.0, 2.0, -2.0, 1.0, -1.0, 3.0, -3.0][i % 7],
            })
            .collect()
    };
    let dir = Some(Direction::Lower);
    let apart = BaselineStats::compute_for(&runs([114.0, 115.0, 116.0], 22), 3.0, dir).unwrap();
    assert_eq!(apart.outliers, 3, "{apart:?}");
    assert!(apart.clustered && apart.std < 3.0, "{apart:?}");
    // Under 20 runs, no slack: the three are a mode, kept.
    let short = BaselineStats::compute_for(&runs([114.0, 115.0, 116.0], 18), 3.0, dir).unwrap();
    assert_eq!((short.outliers, short.clustered), (0, false), "{short:?}");
    // Past the spike line a far mode is told by (from the other runs' run-to-run
    // spread: here a slow drift, which widens their MAD), they are a far mode's
    // runs, though short of the spike line of the outlier rule's MAD: no slack.
    let drift: Vec<f64> = (0..22)
        .map(|i| match i {
            3 | 9 | 16 => 140.0 + i as f64 / 8.0,
            _ => 95.0 + i as f64 / 2.0,
        })
        .collect();
    let far = BaselineStats::compute_for(&drift, 3.0, dir).unwrap();
    assert_eq!((far.outliers, far.clustered), (0, false), "{far:?}");
    // A tail running on into them (no gap of 1.5 robust sigmas): no slack.
    let tail: Vec<f64> = runs([110.0, 111.0, 112.0], 22)
        .into_iter()
        .enumerate()
        .map(|(i, v)| match i {
            5 => 107.0,
            12 => 106.0,
            _ => v,
        })
        .collect();
    let tail = BaselineStats::compute_for(&tail, 3.0, dir).unwrap();
    assert!(!tail.clustered, "{tail:?}");
}

#[test]
fn one_tight_mode_just_short_of_the_spike_line_is_far_and_a_scattered_tail_is_not() {
    // 18 runs around 100 (std 2: the spike line 24 over them) and four more
    // centred 22 up, at 0.92 of the line.
    let with = |mode: [f64; 4]| -> Vec<f64> {
        let mut far = mode.into_iter();
        (0..22)
            .map(|i| match i {
                2 | 8 | 14 | 20 => far.next().unwrap(),
                _ => 100.0 + [0.0, 2.0, -2.0, 1.0, -1.0, 3.0, -3.0][i % 7],
            })
            .collect()
    };
    let far = |v: &[f64]| FarMode::of(v, v, 3.0, Direction::Lower);
    // One tight mode: told, short of the line as it is.
    let tight = with([121.0, 121.5, 122.0, 122.5]);
    let mode = far(&tight).expect("a far mode");
    assert!(mode.holds(121.0) && !mode.holds(103.0), "{mode:?}");
    // A tail's runs as far out in the middle, but scattered: no mode.
    assert_eq!(far(&with([113.0, 119.0, 124.5, 135.0])), None);
    // A tight mode well short of the line: none either.
    assert_eq!(far(&with([116.0, 116.5, 117.0, 117.5])), None);
}

#[test]
fn a_rounding_error_is_no_difference_and_an_infinite_one_is() {
    let mean = [0.1, 0.2, 0.3].iter().sum::<f64>() / 3.0;
    assert_ne!(
        mean, 0.2,
        "the sum must carry a rounding error for this test"
    );
    assert_eq!(difference(mean, 0.2), 0.0);
    assert!(!exceeds(mean, 0.2) && !exceeds(0.2, mean));
    assert_eq!(difference(1.001, 1.0), 1.001 - 1.0);
    assert!(exceeds(1.001, 1.0));
    assert_eq!(difference(f64::INFINITY, 1.0), f64::INFINITY);
    assert!(exceeds(f64::INFINITY, 1.0));
    assert!(!exceeds(1.0, f64::INFINITY));
}

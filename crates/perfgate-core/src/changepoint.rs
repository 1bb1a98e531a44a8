//! Change points in a metric's history by PELT (Killick et al. 2012) with a
//! normal mean-shift cost. The noise level comes from the median absolute
//! successive difference, so the shifts themselves do not inflate it.

use crate::baseline::{MAD_TO_SIGMA, median};

/// Indices where a new segment starts (never 0).
pub fn change_points(values: &[f64], min_segment: usize) -> Vec<usize> {
    let n = values.len();
    // Scaled to the data: in a long history a segment shorter than 4% of it is an
    // episode, not a new level.
    let min_seg = min_segment.max(2).max(n / 25);
    if n < 2 * min_seg {
        return Vec::new();
    }
    let mut diffs: Vec<f64> = values.windows(2).map(|w| (w[1] - w[0]).abs()).collect();
    diffs.sort_by(f64::total_cmp);
    // A constant series has no change point (its zero-variance segments must not be
    // split by rounding noise).
    let Some(&step) = diffs.iter().find(|d| **d > 0.0) else {
        return Vec::new();
    };
    // Noise from consecutive differences; for quantised data whose differences are
    // mostly 0, the data's resolution (its smallest step) sets the floor.
    let sigma = (MAD_TO_SIGMA * median(&diffs) / std::f64::consts::SQRT_2)
        .max(step / std::f64::consts::SQRT_2);
    let mean = values.iter().sum::<f64>() / n as f64;
    // Centred before scaling: sums of squares of large offsets lose the segment costs.
    let z: Vec<f64> = values.iter().map(|v| (v - mean) / sigma).collect();
    let mut s1 = vec![0.0; n + 1];
    let mut s2 = vec![0.0; n + 1];
    for i in 0..n {
        s1[i + 1] = s1[i] + z[i];
        s2[i + 1] = s2[i] + z[i] * z[i];
    }
    // Segment [a, b): sum of squared deviations from its mean, in sigma units.
    let cost = |a: usize, b: usize| {
        let len = (b - a) as f64;
        let s = s1[b] - s1[a];
        (s2[b] - s2[a]) - s * s / len
    };
    // Modified BIC-like penalty, conservative to keep noise out.
    let beta = 3.0 * (n as f64).ln();
    let mut f = vec![f64::INFINITY; n + 1];
    let mut last = vec![0usize; n + 1];
    f[0] = -beta;
    let mut candidates: Vec<usize> = vec![0];
    for t in min_seg..=n {
        let mut best = f64::INFINITY;
        let mut arg = 0;
        for &s in &candidates {
            if t - s >= min_seg {
                let v = f[s] + cost(s, t) + beta;
                if v < best {
                    best = v;
                    arg = s;
                }
            }
        }
        f[t] = best;
        last[t] = arg;
        // PELT pruning: drop candidates that can never be optimal again.
        candidates.retain(|&s| t - s < min_seg || f[s] + cost(s, t) <= f[t]);
        candidates.push(t);
    }
    let mut cps = Vec::new();
    let mut t = n;
    while t > 0 {
        let s = last[t];
        if s > 0 {
            cps.push(s);
        }
        if s == t {
            break;
        }
        t = s;
    }
    cps.reverse();
    level_shifts_only(values, cps)
}

/// The change points whose segments differ in level, not only in mean: a boundary
/// stays when the medians on either side moved the same way and by at least half as
/// much as the means. One slow run at the end of a short history drags its segment's
/// mean up, and a boundary drawn there would name runs that did not change; its
/// median does not move. Each weakest boundary goes first, then the rest is checked
/// again on the merged segments.
fn level_shifts_only(values: &[f64], mut cps: Vec<usize>) -> Vec<usize> {
    let stats = |seg: &[f64]| {
        let mut s = seg.to_vec();
        s.sort_by(f64::total_cmp);
        (s.iter().sum::<f64>() / s.len() as f64, median(&s))
    };
    loop {
        let mut bounds = vec![0];
        bounds.extend(&cps);
        bounds.push(values.len());
        // For each boundary, how much of its mean shift its medians follow.
        let follow = |i: usize| {
            let (m0, d0) = stats(&values[bounds[i]..bounds[i + 1]]);
            let (m1, d1) = stats(&values[bounds[i + 1]..bounds[i + 2]]);
            (d1 - d0) / (m1 - m0)
        };
        let weakest = (0..cps.len())
            .map(|i| (i, follow(i)))
            .filter(|(_, f)| f.is_nan() || *f < 0.5)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match weakest {
            Some((i, _)) => {
                cps.remove(i);
            }
            None => return cps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_slow_run_at_the_end_is_no_change_point() {
        // The demo's p95 before its regression was confirmed: five quiet runs, then
        // one slow one. Its mean drags the last three runs' segment up; no level
        // changed at run 4.
        assert!(change_points(&[4.70, 4.62, 4.67, 4.64, 4.58, 9.70], 3).is_empty());
        // Three slow runs are a level.
        let v = [4.70, 4.62, 4.67, 4.64, 4.58, 4.66, 9.70, 9.60, 9.80];
        assert_eq!(change_points(&v, 3), vec![6]);
    }

    #[test]
    fn a_constant_series_has_no_change_point() {
        assert!(change_points(&[15.0; 40], 5).is_empty());
        assert!(change_points(&[1.0e9; 40], 5).is_empty());
    }

    #[test]
    fn a_short_episode_in_a_long_history_is_not_a_new_level() {
        // 200 runs at 10 with a 3-run excursion to 14: segments stay at least 4% of
        // the history (8 runs) long, so the episode is never a 3-run level.
        let noise = |i: usize| [0.2, -0.1, 0.0, -0.2, 0.1][i % 5];
        let mut v: Vec<f64> = (0..200).map(|i| 10.0 + noise(i)).collect();
        v[100..103].iter_mut().for_each(|x| *x = 14.0);
        let cps = change_points(&v, 3);
        let mut bounds = vec![0];
        bounds.extend(&cps);
        bounds.push(v.len());
        assert!(bounds.windows(2).all(|w| w[1] - w[0] >= 8), "{cps:?}");
        // A lasting level shift is still found.
        v[100..].iter_mut().for_each(|x| *x += 4.0);
        let cps = change_points(&v, 3);
        assert!(cps.iter().any(|&c| (99..=104).contains(&c)), "{cps:?}");
    }

    #[test]
    fn a_quantised_series_keeps_its_real_step_only() {
        // Whole milliseconds around 12 (mostly equal), then a level of 15.
        let noise = [0.0, 0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
        let v: Vec<f64> = (0..40)
            .map(|i| if i < 25 { 12.0 } else { 15.0 } + noise[i % 10])
            .collect();
        assert_eq!(change_points(&v, 5), vec![25]);
    }

    #[test]
    fn finds_a_step_and_nothing_in_noise() {
        let noise = |i: usize| [0.4, -0.3, 0.1, -0.5, 0.2, 0.5, -0.1, -0.4][i % 8];
        let flat: Vec<f64> = (0..60).map(|i| 10.0 + noise(i)).collect();
        assert!(change_points(&flat, 3).is_empty());
        let step: Vec<f64> = (0..60)
            .map(|i| if i < 40 { 10.0 } else { 13.0 } + noise(i))
            .collect();
        assert_eq!(change_points(&step, 3), vec![40]);
    }
}

//! Detection benchmark: synthetic metric histories through `perfgate backtest`'s
//! code path, scored per family of metric for false alarms and time to detection.
//!
//! Families differ in noise shape (Gaussian at CV 2/5/15/30%, log-normal with
//! spikes, Student t with 3 degrees of freedom, bimodal with the second mode 2-5
//! sigma up on 12-30% of runs, AR(1) at rho 0.6 and 0.8, quantisation to whole
//! milliseconds at 1 and 0.5 ms of noise, 5% of runs dropping out 10 sigma low, or
//! 3% so and 2% spiking 20 sigma high), direction (throughput, higher is better) and
//! history length (the change a few runs after `min_baseline_samples`, or after 130
//! runs). A held-out group of 16 more (`HELD_OUT`: Laplace, uniform and log-normal
//! noise, other resolutions, histories and modes) was added once tuning had ended,
//! to check the goals on shapes the detector was not tuned on, and a group of 5
//! (`FAR_MODES`: 10-25% of runs 20 sigma up, the last with the mode's runs three
//! times as noisy, added unseen after the mode's runs were judged on their own)
//! once a probe found such modes hid steps, and a group of 8 (`UNSEEN`: a weekly
//! cycle, exponential and Pareto tails, Poisson counts, calm and busy stretches,
//! two hosts 6 sd apart, rare 50-sigma spikes), added once the rest were tuned,
//! not tuned on, and a group of 3 (`ERRORS`: error rates nil on 70% and 90% of
//! runs, error counts at 0.4 a run), added unseen later still, and three more
//! added unseen after them (`QUIET`: Gaussian latency and throughput at CV 1%;
//! `MIRRORED`: 7 throughput families whose skew, dips, slow mode and tails lie in
//! their bad direction, downward; `NOISY_TAILS`: Pareto, exponential and
//! log-normal noise at CV 15%), and a group of 17 (`SHORT_TAILS`: heavy
//! tails, spikes, modes and the other shapes over short and medium
//! histories, and Pareto at tail index 2.5), and a group of 9 last (`FRESH`:
//! gamma, Weibull, Student t at 2.5, three modes, two-run bursts, a drifting
//! level, wild runs, a long gamma history), and a group of 7 after them (`LATE`:
//! clustered volatility, a floor and a ceiling, alternating AR(1), two-way spikes,
//! log-normal at CV 50%), and a group of 8 last (`LONG`: Student t, skewed with
//! spikes, clustered volatility, AR(1), a mode, quantised, Laplace and throughput
//! over 160 runs), and a group of 5 (`FIXED`: timeouts and failed runs at a
//! value no change moves, retries at twice the level, a recorder whose
//! resolution grew finer or coarser), and a group of 12 (`HEAVIER`: tails heavier
//! than any before, log-normal at CV 100%, exponential at CV 30%, Weibull over
//! short and long histories, a 6-sd mode on 30% of runs), and a group of 13
//! (`HARSHER`: a strong cycle, AR(1) at 0.9, a faster walk, coarse quantisation,
//! Poisson at 5, errors nil on half the runs, wild runs, 6-sd bursts on 5% of
//! runs, two-way spikes, short calm and busy stretches, a floor on half the
//! runs). Each is scored
//! on series without a change (false alarms per judged run),
//! with a 4-sigma and a 6-sigma step, a 6-sigma ramp over 8 runs, a 6-sigma step
//! that lands while a smaller alert is still open, and one that lands two runs after
//! a 3-sigma blip (often a false alert) went back to the baseline. "sigma" is the noise's own
//! standard deviation. Every line says whether the family meets its goal; the two
//! families of the first held-out corpus (gaussian-cv5, skewed+spikes) also show
//! 2- and 3-sigma steps and 4-sigma steps within 3 runs against that corpus's
//! figures, kept and pushed (`first_corpus`). Beside the
//! 4- and 6-sigma figures (and the 2- and 3-sigma ones): alerts
//! raised after the first while the step merely holds (spurious escalations: the
//! other side of catching the step behind an open alert). The 6-sigma lines also
//! count the missed steps that came behind a critical alert raised before them
//! (still misses: the goal counts them; at the top severity already, only a
//! further rise over the alert's level can report them).
//!
//! `cargo bench --bench detection` prints the figures; `-- --seed N` varies the
//! draw, `-- --seeds 3` runs three seeds, `-- --write DIR` also writes the
//! histories as CSV for `perfgate backtest`, `-- --family NAME` runs one family
//! (`core`, `held-out`, `far-modes`, `unseen`, `errors`, `quiet`, `mirrored`,
//! `noisy-tails`, `short-tails`, `fresh`, `late`, `long`, `fixed`, `heavier`, `harsher`: those groups; `a,b,c`: each of them, so a
//! change is weighed on the families it helps and those nearest their bars at
//! once).
//! `PG_MISSES=1` lists each series whose 6-sigma step (plain, behind an open
//! alert or after a blip) went unreported, with its alerts' runs (`PG_MISSES_RUNS=1` adds the
//! judgements run by run, and each alert's rule; `PG_MISSES_SERIES=1` each series whole); `PG_MISSES_STEP=4 PG_MISSES_WITHIN=3` list the plain
//! 4-sigma steps not reported within 3 runs instead (any step size and delay);
//! `PG_FALSE_ALARMS=1` lists each false alarm, its severity, z and rule (with
//! `PG_FA_VALUES=1`, the series' values up to it);
//! `PG_REPEATS=1` each alert after the first from a change on. `-- --units`
//! instead replays each family's series (no change, a 6-sigma step, a varied
//! lead before one) in seven other units and counts those decided run for run
//! as in their own: a verdict must not depend on the unit a metric is recorded in
//! (`PG_UNITS_DIFF=1` prints each differing series' first differing run).

use perfgate::engine::backtest::backtest;
use perfgate::engine::detect::{Decision, Replay, Settings};
use perfgate::engine::metrics::Direction;
use perfgate::engine::model::{AlertKind, Severity};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, LogNormal, Normal, StudentT};
use std::fmt::Write;

const SERIES: usize = 600;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Noise {
    Gaussian,
    /// Log-normal with 3% of runs spiking +30%.
    Skewed,
    /// Student t, 3 degrees of freedom.
    StudentT3,
    /// A share of the runs from a second mode `up` sd (of the first mode) up.
    Bimodal {
        up: f64,
        share: f64,
    },
    /// AR(1) with coefficient rho.
    Ar1 {
        rho: f64,
    },
    /// Whole milliseconds around `level` ms with `sd` ms of noise: most samples are
    /// equal.
    Quantised {
        level: f64,
        sd: f64,
    },
    /// Gaussian, with a share `low` of the runs 10 sd under the rest (dropouts: a
    /// cache hit, a run that skipped its work) and a share `high` 20 sd over it (a
    /// busy machine): outliers beyond sigma, as the skewed family's spikes.
    Outliers {
        low: f64,
        high: f64,
    },
    /// Gaussian, with a share of the runs in a far slow mode 20 sd up whose own
    /// noise is `spread` times the others' (a GC pause varies more than the work).
    FarMode {
        share: f64,
        spread: f64,
    },
    /// Laplace (double exponential): tails between the Gaussian's and Student t's.
    Laplace,
    /// Uniform: bounded, no tail at all.
    Uniform,
    /// Log-normal at the family's CV, without spikes.
    LogNormal,
    /// Gaussian plus a cycle of `amp` sd over `period` runs (nightly runs on a
    /// weekly load pattern).
    Seasonal {
        amp: f64,
        period: f64,
    },
    /// Gaussian with a share of the runs `height` sd up.
    Spikes {
        share: f64,
        height: f64,
    },
    /// Exponential: a queue's waiting time, skewed with no upper bound.
    Exponential,
    /// Pareto with tail index `alpha` (finite variance above 2): rare huge runs.
    Pareto {
        alpha: f64,
    },
    /// Whole counts, Poisson with mean `lambda` (retries, errors per run).
    Poisson {
        lambda: f64,
    },
    /// Gaussian whose sd switches between calm and busy stretches of `block` runs
    /// (the noise, not the level, changes).
    Regimes {
        block: usize,
    },
    /// Exactly 0 on a share `zero` of the runs, else exponential: an error rate
    /// that is nil on most runs.
    ZeroInflated {
        zero: f64,
    },
    /// Gamma with shape `shape`: skewed, lighter than the exponential past shape 1.
    Gamma {
        shape: f64,
    },
    /// Weibull with shape `shape` (under 1: heavier than the exponential).
    Weibull {
        shape: f64,
    },
    /// Student t with `df` degrees of freedom (finite variance above 2).
    HeavyT {
        df: f64,
    },
    /// Three modes: the second `up` sd up on a share `mid`, the third `2 up` sd up
    /// on a share `top` (a cache hit, a miss, a miss with a retry).
    Trimodal {
        up: f64,
        mid: f64,
        top: f64,
    },
    /// Gaussian, with a burst of `height` sd on two runs in a row starting on a
    /// share `share` of the runs (a noisy neighbour that stays a while).
    BurstPairs {
        share: f64,
        height: f64,
    },
    /// Gaussian around a level that walks by `step` sd a run (slow drift: the
    /// host ages, the data grows); sigma is the Gaussian's, the walk comes on top.
    Walk {
        step: f64,
    },
    /// Gaussian, with a share `share` of the runs anywhere within `reach` sd
    /// either side (a broken run of any kind).
    Wild {
        share: f64,
        reach: f64,
    },
    /// Gaussian whose log sd follows an AR(1) at `rho` with stationary sd
    /// `spread` (volatility that clusters: a shared host busy for a while).
    VolClusters {
        rho: f64,
        spread: f64,
    },
    /// Gaussian held at its `cut`-sd quantile from below (a floor the work cannot
    /// go under: a cached path, a fixed minimum): a share of runs all equal.
    Floor {
        cut: f64,
    },
    /// Gaussian with a share `share` of the runs `height` sd up or down, either
    /// way alike (broken runs that spike and drop).
    SymSpikes {
        share: f64,
        height: f64,
    },
    /// Gaussian, with a share `share` of the runs recorded at exactly `at` sd
    /// from the level in the bad direction whatever the level (a request that
    /// timed out, a failed run's throughput of 0): a change does not move them.
    Fixed {
        share: f64,
        at: f64,
    },
    /// Gaussian, with a share `share` of the runs taking twice as long (a retry
    /// repeats the work): a mode at twice the level, which a change moves twice
    /// as far.
    Retries {
        share: f64,
    },
    /// Around `level` ms with `sd` ms of noise, recorded in steps of `first` ms
    /// before run `until` and of `then` ms from it: the recorder's resolution
    /// changed, the metric did not.
    Resolution {
        level: f64,
        sd: f64,
        until: usize,
        first: f64,
        then: f64,
    },
}

#[derive(Clone, Copy)]
struct Family {
    name: &'static str,
    noise: Noise,
    cv: f64,
    runs: usize,
    change_at: usize,
    /// Throughput: higher is better, a regression is a drop.
    higher: bool,
    /// The noise turned upside down: a higher-is-better metric whose spikes,
    /// tail and far mode lie below it, in its bad direction (throughput dips).
    mirrored: bool,
    /// Goals: false alarms (% of judged runs), 4-sigma caught within 5 runs (%).
    max_false_pct: f64,
    min_catch4_pct: f64,
}

impl Family {
    /// The way the metric gets worse: throughput down, latency up.
    fn dir(&self) -> Direction {
        if self.higher {
            Direction::Higher
        } else {
            Direction::Lower
        }
    }
}

const fn family(name: &'static str, noise: Noise, cv: f64) -> Family {
    Family {
        name,
        noise,
        cv,
        runs: 60,
        change_at: 40,
        higher: false,
        mirrored: false,
        max_false_pct: 0.5,
        min_catch4_pct: 90.0,
    }
}

const FAMILIES: &[Family] = &[
    family("gaussian-cv2", Noise::Gaussian, 0.02),
    family("gaussian-cv5", Noise::Gaussian, 0.05),
    family("gaussian-cv15", Noise::Gaussian, 0.15),
    Family {
        max_false_pct: 0.3,
        ..family("skewed+spikes", Noise::Skewed, 0.05)
    },
    lenient(family("student-t3", Noise::StudentT3, 0.05)),
    bimodal("bimodal", 3.0, 0.25),
    Family {
        max_false_pct: 2.0,
        ..family("ar1-0.6", Noise::Ar1 { rho: 0.6 }, 0.05)
    },
    quantised("quantised", 12.0, 1.0),
    Family {
        higher: true,
        ..family("throughput", Noise::Gaussian, 0.05)
    },
    Family {
        runs: 32,
        change_at: 23,
        max_false_pct: 1.0,
        ..family("short-history", Noise::Gaussian, 0.05)
    },
    Family {
        runs: 160,
        change_at: 130,
        ..family("long-history", Noise::Gaussian, 0.05)
    },
];

/// A bimodal family: a share of the runs from a second mode `up` sd up.
const fn bimodal(name: &'static str, up: f64, share: f64) -> Family {
    lenient(family(name, Noise::Bimodal { up, share }, 0.05))
}

/// More shapes, added once the families above met their goals: the second mode
/// nearer, farther and rarer, coarser quantisation, stronger autocorrelation (its
/// bar 3%: the spec's is for rho 0.6), noisier still, runs that drop out low.
const VARIANTS: &[Family] = &[
    bimodal("bimodal-2sd", 2.0, 0.3),
    bimodal("bimodal-4sd", 4.0, 0.25),
    bimodal("bimodal-5sd", 5.0, 0.25),
    bimodal("bimodal-5sd-12%", 5.0, 0.12),
    // Near the outlier rule's one-in-ten line: the mode is dropped from some
    // windows and kept in others.
    bimodal("bimodal-4sd-15%", 4.0, 0.15),
    quantised("quantised-0.5", 5.0, 0.5),
    Family {
        max_false_pct: 3.0,
        ..family("ar1-0.8", Noise::Ar1 { rho: 0.8 }, 0.05)
    },
    family("gaussian-cv30", Noise::Gaussian, 0.30),
    family(
        "dropouts",
        Noise::Outliers {
            low: 0.05,
            high: 0.0,
        },
        0.05,
    ),
    family(
        "spikes+dropouts",
        Noise::Outliers {
            low: 0.03,
            high: 0.02,
        },
        0.05,
    ),
];

/// Shapes added once tuning had ended (2026-12-01), to check that the goals hold on
/// data the detector was not tuned on: Laplace and uniform noise, log-normal at CV
/// 10 and 30%, whole milliseconds at 2, 0.7 and 0.3 ms of noise (the last mostly
/// one value), AR(1) at rho 0.3, quantised and noisy throughput, an 80-run history,
/// short noisy and short quantised ones, the second mode at 3 sd on 40% of runs or
/// 8 sd on 10%, and 5% of runs spiking 20 sigma. `--family held-out` runs only
/// these. Since tuned on:
/// quantised-0.3 (a window's scale from the runs before it) and spikes-5% (spikes
/// dropped up to one run in six, not eight).
const HELD_OUT: &[Family] = &[
    lenient(family("laplace", Noise::Laplace, 0.05)),
    family("uniform", Noise::Uniform, 0.05),
    family("lognormal-cv30", Noise::LogNormal, 0.30),
    family("lognormal-cv10", Noise::LogNormal, 0.10),
    quantised("quantised-2ms", 40.0, 2.0),
    quantised("quantised-0.7", 20.0, 0.7),
    quantised("quantised-0.3", 3.0, 0.3),
    Family {
        max_false_pct: 2.0,
        ..family("ar1-0.3", Noise::Ar1 { rho: 0.3 }, 0.05)
    },
    Family {
        higher: true,
        ..quantised("thr-quantised", 50.0, 1.0)
    },
    Family {
        higher: true,
        ..family("thr-cv15", Noise::Gaussian, 0.15)
    },
    Family {
        runs: 100,
        change_at: 80,
        ..family("history-80", Noise::Gaussian, 0.10)
    },
    short(family("short-cv15", Noise::Gaussian, 0.15)),
    short(quantised("short-quantised", 12.0, 1.0)),
    bimodal("bimodal-3sd-40%", 3.0, 0.4),
    bimodal("bimodal-8sd-10%", 8.0, 0.1),
    family(
        "spikes-5%",
        Noise::Outliers {
            low: 0.0,
            high: 0.05,
        },
        0.05,
    ),
];

/// A far slow mode in 10-25% of runs, 20 sigma up (a GC pause, a cold cache),
/// added 2026-12-01 when a probe found that such a mode, kept in the baseline as
/// too frequent to drop, hid steps of the other runs (6-sigma steps reported
/// within 5 runs in 39-95% of series). `far-20%-wide` came once the mode's runs
/// were judged on their own, to check that on a mode it had not seen (its runs
/// three times as noisy as the others). `--family far-modes` runs only these.
const FAR_MODES: &[Family] = &[
    spiky("spikes-10%", 0.10),
    spiky("spikes-15%", 0.15),
    spiky("spikes-20%", 0.20),
    spiky("spikes-25%", 0.25),
    family(
        "far-20%-wide",
        Noise::FarMode {
            share: 0.20,
            spread: 3.0,
        },
        0.05,
    ),
];

/// Shapes added unseen on 2026-12-02, once the groups above were tuned: a weekly
/// cycle, exponential and Pareto tails, Poisson counts, calm and busy stretches of
/// noise, two equal modes 6 sd apart (two hosts), 1% of runs 50 sd up. `--family
/// unseen` runs only these.
const UNSEEN: &[Family] = &[
    family(
        "seasonal",
        Noise::Seasonal {
            amp: 1.5,
            period: 7.0,
        },
        0.05,
    ),
    lenient(family("exponential", Noise::Exponential, 0.05)),
    lenient(family("pareto-3", Noise::Pareto { alpha: 3.0 }, 0.05)),
    lenient(family("poisson-2", Noise::Poisson { lambda: 2.0 }, 0.0)),
    lenient(family("poisson-20", Noise::Poisson { lambda: 20.0 }, 0.0)),
    family("regimes", Noise::Regimes { block: 10 }, 0.05),
    bimodal("two-hosts", 6.0, 0.5),
    family(
        "spikes-1%-50sd",
        Noise::Spikes {
            share: 0.01,
            height: 50.0,
        },
        0.05,
    ),
];

/// Error rates and counts, added unseen on 2026-12-04 (`error_rate_pct`, a metric
/// kind the README lists, had no family): nil on 70% and 90% of runs and
/// exponential on the rest, and whole counts at 0.4 a run. `--family errors` runs
/// only these.
const ERRORS: &[Family] = &[
    lenient(family(
        "errors-70%-nil",
        Noise::ZeroInflated { zero: 0.7 },
        0.0,
    )),
    lenient(family(
        "errors-90%-nil",
        Noise::ZeroInflated { zero: 0.9 },
        0.0,
    )),
    lenient(family("poisson-0.4", Noise::Poisson { lambda: 0.4 }, 0.0)),
];

/// `f` as a higher-is-better metric whose noise lies in its bad direction.
const fn mirrored(f: Family) -> Family {
    Family {
        higher: true,
        mirrored: true,
        ..f
    }
}

/// Quiet metrics (Gaussian at CV 1%, latency and throughput), added unseen on
/// 2026-12-04 when a probe found them hidden under the old 5% minimum change
/// (4-sigma steps caught within 5 runs in 49% of series). `--family quiet`.
const QUIET: &[Family] = &[
    family("gaussian-cv1", Noise::Gaussian, 0.01),
    mirrored(family("thr-cv1", Noise::Gaussian, 0.01)),
];

/// Heavy one-sided tails at CV 15%, where the minimum change no longer covers
/// the tail's runs (`--family noisy-tails`): added with the minimum at 3%, unseen.
const NOISY_TAILS: &[Family] = &[
    lenient(family("pareto-3-cv15", Noise::Pareto { alpha: 3.0 }, 0.15)),
    lenient(family("exponential-cv15", Noise::Exponential, 0.15)),
    lenient(family("lognormal-cv15", Noise::LogNormal, 0.15)),
];

/// Throughput whose noise lies in its bad direction, added unseen on 2026-12-04:
/// skewed with dips, 10% and 25% of runs dipping 20 sigma, a slow mode on 20% of
/// runs, dips and bursts, exponential and log-normal tails downward.
/// `--family mirrored`.
const MIRRORED: &[Family] = &[
    Family {
        max_false_pct: 0.3,
        ..mirrored(family("thr-skewed+spikes", Noise::Skewed, 0.05))
    },
    mirrored(spiky("thr-dips-10%", 0.10)),
    mirrored(spiky("thr-dips-25%", 0.25)),
    mirrored(family(
        "thr-slow-mode-20%",
        Noise::FarMode {
            share: 0.20,
            spread: 3.0,
        },
        0.05,
    )),
    mirrored(family(
        "thr-dips+bursts",
        Noise::Outliers {
            low: 0.03,
            high: 0.02,
        },
        0.05,
    )),
    mirrored(lenient(family("thr-exponential", Noise::Exponential, 0.05))),
    mirrored(lenient(family(
        "thr-lognormal-cv30",
        Noise::LogNormal,
        0.30,
    ))),
];

/// Heavy and odd tails over short and medium histories, added unseen on
/// 2026-12-05: the good side's bound on a tail's streak waits for 30 runs, so a
/// history of 20-35 runs meets its far runs with the point rate. The short ones
/// judge 2 runs before the change (bar 1%), the medium ones 15 (runs 20-34), and
/// a Pareto tail heavier than any other family's (index 2.5). All met their
/// false-alarm goals as they came; `short-spikes-10%` missed its 4- and 6-sigma
/// ones (its runs short of the mode, fewer than `min_baseline_samples`, were
/// judged whole), and `short-spikes-20%` came with the fix; the short Student t,
/// bimodal, AR(1) and throughput families after it, unseen, met every goal but
/// the 6-sigma one as they came. `--family short-tails`.
const SHORT_TAILS: &[Family] = &[
    short(lenient(family(
        "short-pareto-3",
        Noise::Pareto { alpha: 3.0 },
        0.05,
    ))),
    short(family("short-skewed+spikes", Noise::Skewed, 0.05)),
    short(lenient(family(
        "short-exponential-cv15",
        Noise::Exponential,
        0.15,
    ))),
    short(spiky("short-spikes-10%", 0.10)),
    short(spiky("short-spikes-20%", 0.20)),
    short(lenient(family("short-student-t3", Noise::StudentT3, 0.05))),
    short(bimodal("short-bimodal", 3.0, 0.25)),
    Family {
        max_false_pct: 2.0,
        ..short(family("short-ar1-0.6", Noise::Ar1 { rho: 0.6 }, 0.05))
    },
    Family {
        higher: true,
        ..short(family("short-throughput", Noise::Gaussian, 0.05))
    },
    medium(lenient(family(
        "medium-pareto-3",
        Noise::Pareto { alpha: 3.0 },
        0.05,
    ))),
    medium(lenient(family(
        "medium-pareto-2.5",
        Noise::Pareto { alpha: 2.5 },
        0.05,
    ))),
    medium(lenient(family(
        "medium-exponential-cv15",
        Noise::Exponential,
        0.15,
    ))),
    medium(family("medium-skewed+spikes", Noise::Skewed, 0.05)),
    medium(lenient(family("medium-student-t3", Noise::StudentT3, 0.05))),
    medium(bimodal("medium-bimodal-5sd-12%", 5.0, 0.12)),
    medium(spiky("medium-spikes-10%", 0.10)),
    lenient(family("pareto-2.5", Noise::Pareto { alpha: 2.5 }, 0.05)),
];

/// Shapes added unseen on 2026-12-06, once every group above was tuned, to check
/// the goals on noise no rule was shaped by: gamma and Weibull tails (latency and,
/// mirrored, throughput), Student t at 2.5 degrees of freedom, three modes,
/// bursts that hold two runs (a noisy neighbour; autocorrelated, so its bar is
/// 2%), a level that drifts by a random walk (autocorrelated too), 3% of runs
/// broken anywhere within 15 sd, and a long history with a gamma tail. As they
/// came (five seeds): every false-alarm bar met, the nearest gamma-2-cv10
/// (0.30-0.49%) and weibull-0.8 (0.36-0.49%); every 4-sigma and ramp bar met;
/// the 6-sigma bar missed by 1-3 series of 600 in most, and in burst-pairs-2%
/// by 15-23 plain steps a seed: a burst just before the step opened an alert at
/// the burst's height, and the step under it was no further move.
/// `--family fresh`.
const FRESH: &[Family] = &[
    lenient(family("gamma-2-cv10", Noise::Gamma { shape: 2.0 }, 0.10)),
    lenient(family("weibull-0.8", Noise::Weibull { shape: 0.8 }, 0.05)),
    mirrored(lenient(family(
        "thr-weibull-0.8",
        Noise::Weibull { shape: 0.8 },
        0.05,
    ))),
    lenient(family("student-t2.5", Noise::HeavyT { df: 2.5 }, 0.05)),
    lenient(family(
        "trimodal",
        Noise::Trimodal {
            up: 3.0,
            mid: 0.25,
            top: 0.15,
        },
        0.05,
    )),
    Family {
        max_false_pct: 2.0,
        ..family(
            "burst-pairs-2%",
            Noise::BurstPairs {
                share: 0.02,
                height: 10.0,
            },
            0.05,
        )
    },
    Family {
        max_false_pct: 2.0,
        ..family("drift-walk", Noise::Walk { step: 0.1 }, 0.05)
    },
    family(
        "wild-3%",
        Noise::Wild {
            share: 0.03,
            reach: 15.0,
        },
        0.05,
    ),
    Family {
        runs: 160,
        change_at: 130,
        ..lenient(family("long-gamma-2", Noise::Gamma { shape: 2.0 }, 0.05))
    },
];

/// Shapes added unseen on 2026-12-06, later that day, after `FRESH` was tuned:
/// volatility that clusters (the log sd an AR(1) at rho 0.9), over the usual
/// history and a short one, a floor the work cannot go under (30% of runs
/// equal, latency) and its mirror (a ceiling, throughput), AR(1) at rho -0.5
/// (runs that alternate: autocorrelated, so its bar is 2%), 4% of runs 15 sd
/// either way, and log-normal noise at CV 50%. As they came (five seeds): every
/// 4-sigma and ramp bar met, every false-alarm bar but vol-clusters' (0.51-0.59%:
/// a window that sat in a calm stretch measures the busy one's runs by the calm
/// noise). `--family late`.
const LATE: &[Family] = &[
    family(
        "vol-clusters",
        Noise::VolClusters {
            rho: 0.9,
            spread: 0.5,
        },
        0.05,
    ),
    short(family(
        "short-vol-clusters",
        Noise::VolClusters {
            rho: 0.9,
            spread: 0.5,
        },
        0.05,
    )),
    family("floor-30%", Noise::Floor { cut: -0.5244 }, 0.05),
    mirrored(family(
        "thr-ceiling-30%",
        Noise::Floor { cut: -0.5244 },
        0.05,
    )),
    Family {
        max_false_pct: 2.0,
        ..family("ar1-neg-0.5", Noise::Ar1 { rho: -0.5 }, 0.05)
    },
    family(
        "sym-spikes-4%",
        Noise::SymSpikes {
            share: 0.04,
            height: 15.0,
        },
        0.05,
    ),
    lenient(family("lognormal-cv50", Noise::LogNormal, 0.5)),
];

/// Shapes of the other groups over a long history (160 runs, the change at
/// 130), added unseen on 2026-12-06 with the quiet CUSUM's allowance for a
/// history's length (`Reach::quiet`): a judgement reads 90 runs of context
/// there, where the others read about 40. `--family long`.
const LONG: &[Family] = &[
    long(lenient(family("long-student-t3", Noise::StudentT3, 0.05))),
    long(Family {
        max_false_pct: 0.3,
        ..family("long-skewed+spikes", Noise::Skewed, 0.05)
    }),
    long(family(
        "long-vol-clusters",
        Noise::VolClusters {
            rho: 0.9,
            spread: 0.5,
        },
        0.05,
    )),
    long(Family {
        max_false_pct: 2.0,
        ..family("long-ar1-0.6", Noise::Ar1 { rho: 0.6 }, 0.05)
    }),
    long(bimodal("long-bimodal", 3.0, 0.25)),
    long(quantised("long-quantised", 12.0, 1.0)),
    long(lenient(family("long-laplace", Noise::Laplace, 0.05))),
    long(Family {
        higher: true,
        ..family("long-throughput", Noise::Gaussian, 0.05)
    }),
];

/// Runs a change does not move alike, added unseen on 2026-12-07: 4% of
/// requests timing out at a fixed 12 sd up, 3% of throughput runs failed at
/// exactly 0 (20 sd down), 5% of runs retried (twice the level, so a change
/// moves them twice as far); and a recorder whose resolution changed at run 30,
/// whole milliseconds to hundredths and back. As they came (five seeds): every
/// false-alarm, 4-sigma and ramp goal met; `refined` found three verdicts that
/// depended on the unit (runs exactly on a bar). `--family fixed`.
const FIXED: &[Family] = &[
    family(
        "timeouts-4%",
        Noise::Fixed {
            share: 0.04,
            at: 12.0,
        },
        0.05,
    ),
    Family {
        higher: true,
        ..family(
            "thr-failed-3%",
            Noise::Fixed {
                share: 0.03,
                at: 20.0,
            },
            0.05,
        )
    },
    family("retries-5%", Noise::Retries { share: 0.05 }, 0.05),
    lenient(family(
        "refined",
        Noise::Resolution {
            level: 12.0,
            sd: 0.7,
            until: 30,
            first: 1.0,
            then: 0.01,
        },
        0.0,
    )),
    lenient(family(
        "coarsened",
        Noise::Resolution {
            level: 12.0,
            sd: 0.7,
            until: 30,
            first: 0.01,
            then: 1.0,
        },
        0.0,
    )),
];

/// Shapes added unseen on 2026-12-07, once `FIXED` was in: tails heavier than
/// any above (Weibull at shape 0.6, Pareto at tail index 2.2, Student t at 2.2
/// degrees of freedom, gamma at shape 0.5 over the usual and a medium history,
/// log-normal at CV 100%, exponential at CV 30%), Pareto mirrored as throughput,
/// Weibull at 0.8 over a short and a long history, a mode 6 sd up on 30% of
/// runs, and an exponential tail at CV 2%. As they came (five seeds): every
/// 4-sigma and ramp bar met (4-sigma within 5 runs 99.0-100%), and every
/// false-alarm bar but two: exponential at CV 30% 0.517% on the first seed
/// (0.41-0.44% on the others; 0.467% at CV 5%, the same draws) and log-normal
/// at CV 100% 0.508/0.504/0.554% on three. The percent path, at 2 sigma where
/// the z test asks 2.2-2.3, let into a noisy metric's judgement noise that a
/// quiet one's keeps out (`PERCENT_PATH_MIN_Z` in `detect`). Now that it asks
/// one run more: 0.492% and 0.458-0.533% (the last seed over). `--family
/// heavier`.
const HEAVIER: &[Family] = &[
    lenient(family("weibull-0.6", Noise::Weibull { shape: 0.6 }, 0.05)),
    lenient(family("pareto-2.2", Noise::Pareto { alpha: 2.2 }, 0.05)),
    lenient(family("lognormal-cv100", Noise::LogNormal, 1.0)),
    lenient(family("student-t2.2", Noise::HeavyT { df: 2.2 }, 0.05)),
    lenient(family("gamma-0.5", Noise::Gamma { shape: 0.5 }, 0.05)),
    mirrored(lenient(family(
        "thr-pareto-3",
        Noise::Pareto { alpha: 3.0 },
        0.05,
    ))),
    short(lenient(family(
        "short-weibull-0.8",
        Noise::Weibull { shape: 0.8 },
        0.05,
    ))),
    long(lenient(family(
        "long-weibull-0.8",
        Noise::Weibull { shape: 0.8 },
        0.05,
    ))),
    lenient(family("exponential-cv30", Noise::Exponential, 0.30)),
    lenient(family(
        "bimodal-6sd-30%",
        Noise::Bimodal {
            up: 6.0,
            share: 0.3,
        },
        0.05,
    )),
    medium(lenient(family(
        "medium-gamma-0.5",
        Noise::Gamma { shape: 0.5 },
        0.05,
    ))),
    lenient(family("gamma-1-cv2", Noise::Gamma { shape: 1.0 }, 0.02)),
];

/// Shapes added unseen on 2026-12-07 after `HEAVIER`, of other kinds than
/// tails: a strong cycle (3 sd over 5 runs), AR(1) at rho 0.9 and a level that
/// walks twice as fast as `drift-walk` (autocorrelated, so their bar is 2%),
/// quantised at 3 ms (a resolution a third of the level), Poisson at a mean of
/// 5, an error rate nil on half the runs, 8% of runs anywhere within 10 sd, a
/// noisy neighbour's two-run bursts on 5% of runs at 6 sd, 8% of runs 10 sd
/// either way, calm and busy stretches of 5 runs, Poisson over a short history,
/// quantised over a medium one, and a floor holding half the runs.
/// As they came (five seeds): 11 of the 13 met every false-alarm, 4-sigma and
/// ramp bar (4-sigma steps within 5 runs 98.3-100%). Two did not:
/// - AR(1) at 0.9: false alarms 2.73-2.90% against the spec's 2% for
///   autocorrelated noise (its 0.6; `ar1-0.8` is held to 3%). The 30-run window
///   holds under two runs' worth of independent noise (30 (1 - rho) / (1 + rho)).
/// - the 6-sd bursts on 5% of runs: false alarms 2.42-2.75%, 4-sigma steps within
///   5 runs 88.5-91.3% (three seeds under 90%), 6-sigma misses about 145 of 2,400
///   a seed. Most false alarms (472 of 581, first seed) are two runs of a burst,
///   confirmed as a streak of two although the history had held such bursts:
///   each was a suspect streak as long as `persistence`, and such streaks stay
///   out of the baseline whether or not they confirmed (`baseline_eligible`),
///   so the history forgets them. Keeping those that did not confirm took its
///   false alarms to 1.73% and exponential noise's from 0.467% to 0.375%, but
///   its 4-sigma steps within 5 runs to 84.3% and 6-sigma misses on 8 families
///   175 -> 207: the bursts then widen the scale a step is read by. Not kept.
const HARSHER: &[Family] = &[
    family(
        "seasonal-3sd-5",
        Noise::Seasonal {
            amp: 3.0,
            period: 5.0,
        },
        0.05,
    ),
    Family {
        max_false_pct: 2.0,
        ..family("ar1-0.9", Noise::Ar1 { rho: 0.9 }, 0.05)
    },
    lenient(family(
        "quantised-3ms",
        Noise::Quantised {
            level: 3.0,
            sd: 1.0,
        },
        0.0,
    )),
    lenient(family("poisson-5", Noise::Poisson { lambda: 5.0 }, 0.0)),
    lenient(family(
        "errors-50%-nil",
        Noise::ZeroInflated { zero: 0.5 },
        0.0,
    )),
    Family {
        max_false_pct: 2.0,
        ..family("walk-0.2", Noise::Walk { step: 0.2 }, 0.05)
    },
    family(
        "wild-8%-10sd",
        Noise::Wild {
            share: 0.08,
            reach: 10.0,
        },
        0.05,
    ),
    Family {
        max_false_pct: 2.0,
        ..family(
            "burst-pairs-5%-6sd",
            Noise::BurstPairs {
                share: 0.05,
                height: 6.0,
            },
            0.05,
        )
    },
    family(
        "sym-spikes-8%-10sd",
        Noise::SymSpikes {
            share: 0.08,
            height: 10.0,
        },
        0.05,
    ),
    family("regimes-5", Noise::Regimes { block: 5 }, 0.05),
    short(lenient(family(
        "short-poisson-2",
        Noise::Poisson { lambda: 2.0 },
        0.0,
    ))),
    medium(lenient(family(
        "medium-quantised",
        Noise::Quantised {
            level: 12.0,
            sd: 1.0,
        },
        0.0,
    ))),
    family("floor-50%", Noise::Floor { cut: 0.0 }, 0.05),
];

/// `f` over a long history: 160 runs, the change at 130.
const fn long(f: Family) -> Family {
    Family {
        runs: 160,
        change_at: 130,
        ..f
    }
}

/// Gaussian at CV 5% with a share `high` of the runs 20 sd up.
const fn spiky(name: &'static str, high: f64) -> Family {
    family(name, Noise::Outliers { low: 0.0, high }, 0.05)
}

/// `f` over a short history: the change 2 runs after `min_baseline_samples`, and
/// its bar for false alarms 1% (the spec's for the shortest histories).
const fn short(f: Family) -> Family {
    Family {
        runs: 30,
        change_at: 22,
        max_false_pct: 1.0,
        ..f
    }
}

/// `f` over a medium history: the change at run 35, so runs 20-34 are judged
/// against histories shorter than the 30 runs some bounds wait for.
const fn medium(f: Family) -> Family {
    Family {
        runs: 55,
        change_at: 35,
        ..f
    }
}

/// A quantised family: whole milliseconds around `level` ms with `sd` ms of noise.
const fn quantised(name: &'static str, level: f64, sd: f64) -> Family {
    lenient(family(name, Noise::Quantised { level, sd }, 0.0))
}

/// `f` with the 4-sigma bar of the heavy-tailed, bimodal and quantised (85%).
const fn lenient(f: Family) -> Family {
    Family {
        min_catch4_pct: 85.0,
        ..f
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Change {
    None,
    /// A step of k sigma at `change_at`.
    Step(f64),
    /// A ramp of k sigma over n runs from `change_at`.
    Ramp(f64, usize),
    /// A small step of `pre` sigma `lead` runs before `change_at` (an alert
    /// opens), then k sigma in all at `change_at`.
    AfterAlert {
        k: f64,
        pre: f64,
        lead: usize,
    },
    /// Two runs 3 sigma up `lead` runs before `change_at` (often an alert), back at
    /// the baseline until it, then k sigma: the step at a false alert's height.
    Blip {
        k: f64,
        lead: usize,
    },
    /// [`Change::AfterAlert`] and [`Change::Blip`] with the small step's size and
    /// both leads varying by series ([`Change::for_series`]): the fixed ones are
    /// what escalation was tuned on.
    Varied(f64),
    /// From `change_at`, k sigma on each run with chance `share`, the others
    /// unchanged: a slow path some runs take (a cold cache, a noisy neighbour).
    /// Measured, with no goal: the rules ask consecutive runs.
    Intermittent {
        k: f64,
        share: f64,
    },
}

impl Change {
    /// Short name of the change, for file names and listings.
    fn tag(self) -> String {
        match self {
            Change::None => "null".to_string(),
            Change::Step(k) => format!("step{k}"),
            Change::Ramp(k, n) => format!("ramp{k}x{n}"),
            Change::AfterAlert { k, .. } => format!("after_alert{k}"),
            Change::Blip { k, .. } => format!("blip{k}"),
            Change::Varied(k) => format!("varied{k}"),
            Change::Intermittent { k, share } => format!("intermittent{k}x{share}"),
        }
    }

    /// A 2-sigma step 6 runs before, then k sigma: the measure escalation was tuned on.
    const fn after_alert(k: f64) -> Change {
        Change::AfterAlert {
            k,
            pre: 2.0,
            lead: 6,
        }
    }

    /// A blip 4 runs before, then k sigma: the measure escalation was tuned on.
    const fn blip(k: f64) -> Change {
        Change::Blip { k, lead: 4 }
    }

    /// The change series `idx` gets: a [`Change::Varied`] is, by turns, a small
    /// step of 1.5, 2 or 2.5 sigma 3 to 10 runs before, or a blip 3 to 8 runs
    /// before, each combination on as many series.
    fn for_series(self, idx: usize) -> Change {
        let Change::Varied(k) = self else {
            return self;
        };
        match idx % 4 {
            3 => Change::Blip {
                k,
                lead: 3 + (idx / 4) % 6,
            },
            p => Change::AfterAlert {
                k,
                pre: [1.5, 2.0, 2.5][p],
                lead: 3 + (idx / 4) % 8,
            },
        }
    }

    /// The run before which an alert is a false one.
    fn quiet_until(self, change_at: usize, runs: usize) -> usize {
        match self {
            Change::None => runs,
            Change::AfterAlert { lead, .. } | Change::Blip { lead, .. } => change_at - lead,
            Change::Varied(_) => change_at - 10,
            _ => change_at,
        }
    }

    /// Shift at run i, in sigmas, in the bad direction.
    fn at(self, i: usize, from: usize) -> f64 {
        match self {
            Change::None => 0.0,
            Change::Step(k) => (i >= from) as u8 as f64 * k,
            Change::Ramp(k, n) if i >= from => k * ((i - from + 1) as f64 / n as f64).min(1.0),
            Change::Ramp(..) => 0.0,
            Change::AfterAlert { k, .. } if i >= from => k,
            Change::AfterAlert { pre, lead, .. } if i + lead >= from => pre,
            Change::AfterAlert { .. } => 0.0,
            Change::Blip { k, .. } if i >= from => k,
            Change::Blip { lead, .. } if i + lead == from || i + lead - 1 == from => 3.0,
            Change::Blip { .. } => 0.0,
            Change::Varied(_) => unreachable!("resolved by for_series"),
            Change::Intermittent { .. } => unreachable!("drawn by series"),
        }
    }
}

/// Log-normal with mean 1 and coefficient of variation `cv`.
fn unit_lognormal(cv: f64) -> LogNormal<f64> {
    let sl = (1.0 + cv * cv).ln().sqrt();
    LogNormal::new(-sl * sl / 2.0, sl).unwrap()
}

/// Unit-variance noise of the family's shape, one value per run.
fn noise(rng: &mut StdRng, f: &Family) -> Vec<f64> {
    let normal = Normal::new(0.0, 1.0).unwrap();
    match f.noise {
        Noise::Gaussian
        | Noise::Quantised { .. }
        | Noise::Fixed { .. }
        | Noise::Retries { .. }
        | Noise::Resolution { .. } => (0..f.runs).map(|_| normal.sample(rng)).collect(),
        Noise::Skewed => {
            let ln = unit_lognormal(f.cv);
            (0..f.runs)
                .map(|_| {
                    let v = ln.sample(rng);
                    let v = if rng.random::<f64>() < 0.03 {
                        v * 1.3
                    } else {
                        v
                    };
                    (v - 1.0) / f.cv
                })
                .collect()
        }
        Noise::StudentT3 => {
            let t = StudentT::new(3.0).unwrap();
            (0..f.runs).map(|_| t.sample(rng) / 3f64.sqrt()).collect()
        }
        Noise::Bimodal { up, share } => {
            // Mixture of N(0,1) and N(up,1); variance 1 + share (1 - share) up^2.
            let sd = (1.0 + share * (1.0 - share) * up * up).sqrt();
            (0..f.runs)
                .map(|_| {
                    let u = if rng.random::<f64>() < share { up } else { 0.0 };
                    (normal.sample(rng) + u - share * up) / sd
                })
                .collect()
        }
        Noise::Outliers { low, high } => (0..f.runs)
            .map(|_| {
                let (v, u) = (normal.sample(rng), rng.random::<f64>());
                match u {
                    _ if u < high => v + 20.0,
                    _ if u < high + low => v - 10.0,
                    _ => v,
                }
            })
            .collect(),
        Noise::FarMode { share, spread } => (0..f.runs)
            .map(|_| {
                let (v, u) = (normal.sample(rng), rng.random::<f64>());
                if u < share { spread * v + 20.0 } else { v }
            })
            .collect(),
        Noise::Laplace => (0..f.runs)
            .map(|_| {
                let u: f64 = rng.random::<f64>().max(1e-300);
                let s = if rng.random::<bool>() { 1.0 } else { -1.0 };
                -s * u.ln() / 2f64.sqrt()
            })
            .collect(),
        Noise::Uniform => (0..f.runs)
            .map(|_| (rng.random::<f64>() * 2.0 - 1.0) * 3f64.sqrt())
            .collect(),
        Noise::LogNormal => {
            let ln = unit_lognormal(f.cv);
            (0..f.runs).map(|_| (ln.sample(rng) - 1.0) / f.cv).collect()
        }
        Noise::Seasonal { amp, period } => {
            let phase = rng.random::<f64>() * std::f64::consts::TAU;
            let sd = (1.0 + amp * amp / 2.0).sqrt();
            (0..f.runs)
                .map(|i| {
                    let wave = amp * (phase + std::f64::consts::TAU * i as f64 / period).sin();
                    (normal.sample(rng) + wave) / sd
                })
                .collect()
        }
        Noise::Spikes { share, height } => (0..f.runs)
            .map(|_| {
                let (v, u) = (normal.sample(rng), rng.random::<f64>());
                if u < share { v + height } else { v }
            })
            .collect(),
        Noise::Exponential => (0..f.runs)
            .map(|_| -rng.random::<f64>().max(1e-300).ln() - 1.0)
            .collect(),
        Noise::Pareto { alpha } => {
            // Scale 1: mean alpha/(alpha-1), variance alpha/((alpha-1)^2 (alpha-2)).
            let mean = alpha / (alpha - 1.0);
            let sd = (alpha / ((alpha - 1.0).powi(2) * (alpha - 2.0))).sqrt();
            (0..f.runs)
                .map(|_| (rng.random::<f64>().max(1e-300).powf(-1.0 / alpha) - mean) / sd)
                .collect()
        }
        Noise::Poisson { lambda } => {
            let p = rand_distr::Poisson::new(lambda).unwrap();
            (0..f.runs)
                .map(|_| (p.sample(rng) - lambda) / lambda.sqrt())
                .collect()
        }
        Noise::ZeroInflated { zero } => {
            let (mean, sd) = zero_inflated(zero);
            (0..f.runs)
                .map(|_| {
                    let x = if rng.random::<f64>() < zero {
                        0.0
                    } else {
                        -rng.random::<f64>().max(1e-300).ln()
                    };
                    (x - mean) / sd
                })
                .collect()
        }
        Noise::Regimes { block } => {
            let mut busy = rng.random::<bool>();
            // Calm 0.6, busy 1.3: unit variance over the mix.
            let (calm, high) = (0.6f64, (2.0f64 - 0.36).sqrt());
            (0..f.runs)
                .map(|i| {
                    if i % block == 0 && i > 0 {
                        busy = rng.random::<bool>();
                    }
                    normal.sample(rng) * if busy { high } else { calm }
                })
                .collect()
        }
        Noise::Gamma { .. }
        | Noise::Weibull { .. }
        | Noise::HeavyT { .. }
        | Noise::Trimodal { .. }
        | Noise::Wild { .. }
        | Noise::Floor { .. }
        | Noise::SymSpikes { .. } => (0..f.runs).map(|_| draw(rng, f.noise)).collect(),
        Noise::BurstPairs { .. } | Noise::Walk { .. } | Noise::VolClusters { .. } => {
            held_runs(rng, f)
        }
        Noise::Ar1 { rho } => {
            let innov = (1.0 - rho * rho).sqrt();
            let mut x = normal.sample(rng);
            (0..f.runs)
                .map(|_| {
                    x = rho * x + innov * normal.sample(rng);
                    x
                })
                .collect()
        }
    }
}

/// One unit-variance draw of a shape whose runs are independent and that
/// [`noise`] leaves to it (those added with `FRESH`).
fn draw(rng: &mut StdRng, shape: Noise) -> f64 {
    match shape {
        Noise::Gamma { shape } => {
            let g = rand_distr::Gamma::new(shape, 1.0).unwrap();
            (g.sample(rng) - shape) / shape.sqrt()
        }
        Noise::Weibull { shape } => {
            let (mean, sd) = weibull_moments(shape);
            (rand_distr::Weibull::new(1.0, shape).unwrap().sample(rng) - mean) / sd
        }
        Noise::HeavyT { df } => StudentT::new(df).unwrap().sample(rng) / (df / (df - 2.0)).sqrt(),
        Noise::Trimodal { up, mid, top } => {
            let mean = up * mid + 2.0 * up * top;
            let second = up * up * mid + 4.0 * up * up * top;
            let sd = (1.0 + second - mean * mean).sqrt();
            let u = rng.random::<f64>();
            let m = if u < top {
                2.0 * up
            } else if u < top + mid {
                up
            } else {
                0.0
            };
            (Normal::new(0.0, 1.0).unwrap().sample(rng) + m - mean) / sd
        }
        Noise::Wild { share, reach } => {
            let v = Normal::new(0.0, 1.0).unwrap().sample(rng);
            if rng.random::<f64>() < share {
                (rng.random::<f64>() * 2.0 - 1.0) * reach
            } else {
                v
            }
        }
        Noise::Floor { cut } => {
            let (mean, sd) = floor_moments(cut);
            (f64::max(Normal::new(0.0, 1.0).unwrap().sample(rng), cut) - mean) / sd
        }
        Noise::SymSpikes { share, height } => {
            let v = Normal::new(0.0, 1.0).unwrap().sample(rng);
            let u = rng.random::<f64>();
            let spike = if u < share / 2.0 {
                height
            } else if u < share {
                -height
            } else {
                0.0
            };
            (v + spike) / (1.0 + share * height * height).sqrt()
        }
        other => unreachable!("{other:?} is drawn by noise()"),
    }
}

/// Mean and sd of a standard normal held at `cut` from below, by summing its
/// density on a fine grid (the bench needs no normal CDF elsewhere).
fn floor_moments(cut: f64) -> (f64, f64) {
    let (dx, mut m1, mut m2) = (1e-3, 0.0, 0.0);
    let mut x: f64 = -9.0;
    while x < 9.0 {
        let p = (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * dx;
        let y = f64::max(x, cut);
        (m1, m2) = (m1 + y * p, m2 + y * y * p);
        x += dx;
    }
    (m1, (m2 - m1 * m1).sqrt())
}

/// Unit-variance noise of a shape whose runs hold a state from one to the next
/// (those added with `FRESH`).
fn held_runs(rng: &mut StdRng, f: &Family) -> Vec<f64> {
    let normal = Normal::new(0.0, 1.0).unwrap();
    match f.noise {
        Noise::BurstPairs { share, height } => {
            let mut left = 0;
            (0..f.runs)
                .map(|_| {
                    if left == 0 && rng.random::<f64>() < share {
                        left = 2;
                    }
                    let v = normal.sample(rng);
                    if left > 0 {
                        left -= 1;
                        v + height
                    } else {
                        v
                    }
                })
                .collect()
        }
        Noise::Walk { step } => {
            let mut level = 0.0;
            (0..f.runs)
                .map(|_| {
                    level += step * normal.sample(rng);
                    normal.sample(rng) + level
                })
                .collect()
        }
        Noise::VolClusters { rho, spread } => {
            // Stationary from the first run; E[exp(2 h)] = exp(2 spread^2) for
            // h ~ N(0, spread^2), so dividing by exp(spread^2) gives unit variance.
            let innov = spread * (1.0 - rho * rho).sqrt();
            let mut h = spread * normal.sample(rng);
            (0..f.runs)
                .map(|_| {
                    h = rho * h + innov * normal.sample(rng);
                    normal.sample(rng) * (h - spread * spread).exp()
                })
                .collect()
        }
        other => unreachable!("{other:?} is drawn by noise()"),
    }
}

/// Mean and sd of a unit exponential that is 0 on a share `zero` of the runs.
fn zero_inflated(zero: f64) -> (f64, f64) {
    let p = 1.0 - zero;
    (p, (p * (1.0 + zero)).sqrt())
}

/// Mean and sd of a unit-scale Weibull of shape `k`, by the Lanczos gamma function.
fn weibull_moments(k: f64) -> (f64, f64) {
    let mean = gamma_fn(1.0 + 1.0 / k);
    (mean, (gamma_fn(1.0 + 2.0 / k) - mean * mean).sqrt())
}

/// The gamma function for x > 0.5 (Lanczos, g = 7): enough for the bench's moments.
fn gamma_fn(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let t = x + 7.5;
    let sum = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |a, (i, c)| a + c / (x + i as f64 + 1.0));
    (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * sum
}

/// A family's level and sigma, in the metric's units.
fn level_sigma(f: &Family) -> (f64, f64) {
    match f.noise {
        Noise::Quantised { level, sd } | Noise::Resolution { level, sd, .. } => (level, sd),
        Noise::Poisson { lambda } => (lambda, lambda.sqrt()),
        // 0.3% errors on the runs that have any, so a nil run is 0 but for the
        // float residue of level + sigma * its noise (3.5e-18), as a rate worked
        // out from a mean and sd would be: --units replays it in seven units. As
        // an exact 0, a window all nil meets the scale's absolute floor (1e-9,
        // no unit to take one from), which a unit of 1e-6 puts among the runs.
        Noise::ZeroInflated { zero } => {
            let (mean, sd) = zero_inflated(zero);
            (0.3 * mean, 0.3 * sd)
        }
        _ if f.higher => (1000.0, 1000.0 * f.cv),
        _ => (100.0, 100.0 * f.cv),
    }
}

/// How far a change's first 5 runs stood above the runs of the level before it,
/// in standard errors of the difference of their medians at the family's sigma,
/// and whether it showed early (see [`Late`]). The level before is the small
/// step's runs after an alert, else the 20 runs before the change without a
/// blip's two: what an oracle that knows where each segment began would compare.
fn apart(f: &Family, change: Change, values: &[f64]) -> (f64, bool) {
    let start = f.change_at;
    let earlier = start.saturating_sub(20);
    let level: Vec<f64> = match change {
        Change::AfterAlert { lead, .. } => values[start - lead..start].to_vec(),
        Change::Blip { lead, .. } => (earlier..start)
            .filter(|&i| i + lead != start && i + lead != start + 1)
            .map(|i| values[i])
            .collect(),
        _ => values[earlier..start].to_vec(),
    };
    let step = &values[start..(start + 5).min(values.len())];
    // Medians: a far mode's or a spike's run would carry a mean.
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        perfgate::engine::baseline::median(&v)
    };
    let bad = f.dir().bad_sign();
    // A median's standard error is 1.25 times the mean's, for normal noise.
    let se =
        1.2533 * level_sigma(f).1 * (1.0 / step.len() as f64 + 1.0 / level.len() as f64).sqrt();
    let (before, after) = (median(&level), median(step));
    let rise = bad * (after - before);
    let early = values[start - 2..start]
        .iter()
        .any(|v| (rise / 2.0..1.5 * rise).contains(&(bad * (v - before))));
    (rise / se, early)
}

fn series(rng: &mut StdRng, f: &Family, change: Change) -> Vec<f64> {
    let (level, sigma) = level_sigma(f);
    let bad = f.dir().bad_sign();
    let mut e = noise(rng, f);
    if f.mirrored {
        e.iter_mut().for_each(|v| *v = -*v);
    }
    // Which runs an intermittent change hits, drawn after the noise.
    let shift: Vec<f64> = (0..e.len())
        .map(|i| match change {
            Change::Intermittent { k, share } => {
                let hit = rng.random::<f64>() < share;
                (i >= f.change_at && hit) as u8 as f64 * k
            }
            _ => change.at(i, f.change_at),
        })
        .collect();
    // Which runs a fixed value or a retry takes, drawn after the shift.
    let share = match f.noise {
        Noise::Fixed { share, .. } | Noise::Retries { share } => share,
        _ => 0.0,
    };
    let odd: Vec<bool> = (0..e.len())
        .map(|_| share > 0.0 && rng.random::<f64>() < share)
        .collect();
    e.iter()
        .zip(shift)
        .zip(odd)
        .enumerate()
        .map(|(i, ((e, shift), odd))| {
            let v = level + sigma * (e + bad * shift);
            match f.noise {
                Noise::Quantised { .. } | Noise::Poisson { .. } => v.round(),
                Noise::Resolution {
                    until, first, then, ..
                } => {
                    let step = if i < until { first } else { then };
                    (v / step).round() * step
                }
                Noise::Fixed { at, .. } if odd => level + sigma * bad * at,
                Noise::Retries { .. } if odd => 2.0 * v,
                _ => v,
            }
        })
        .collect()
}

struct Score {
    false_alarms: usize,
    checks: usize,
    /// Series whose change was reported within 3, 5, 10 and 15 runs of its start.
    caught: [usize; 4],
    /// Alerts raised after a series' first one from its change on: a held step
    /// has nothing further to report.
    repeats: usize,
    /// Of those, escalations.
    escalations: usize,
    /// Series whose change was reported at all, by the end of the series.
    reported: usize,
    /// Series whose change went unreported for 5 runs behind a critical alert
    /// raised before it: already at the top severity, a larger step may only move
    /// the level further.
    behind_critical: usize,
    /// Series whose change went unreported for 5 runs, by what came in the 2
    /// runs before it and when it was first reported.
    late: Late,
}

/// Changes unreported for 5 runs, by the alert in the 2 runs before the change
/// (one opened, an escalation, none) and when the change was first reported (at
/// its 6th run, later, never). An alert just before a change rests its level on
/// the 2-3 runs that raised it, which drew high: the change is then measured
/// from a level that reads near its own.
///
/// Beside it, the changes that showed early (a run of the 2 before the change
/// drew past halfway from the level before it to the change's first 5 runs, and
/// no further past them than that halfway, which a far mode's run is:
/// the data put the change there, and a report at it is a repeat), then how far
/// the others' first 5 runs stood above the runs of the level before them, in
/// standard errors of the difference of their medians at the family's sigma
/// ([`apart`]): under 2, 2-3, 3-4, 4 and over. An oracle that knows where the
/// change began sees no more than this; one under 2 no detector reports
/// without alerting on held steps' noise.
#[derive(Default, Clone, Copy)]
struct Late([[usize; 3]; 3], [usize; 5]);

impl Late {
    fn add(&mut self, other: Late) {
        for (row, theirs) in self.0.iter_mut().zip(other.0) {
            for (n, m) in row.iter_mut().zip(theirs) {
                *n += m;
            }
        }
        for (n, m) in self.1.iter_mut().zip(other.1) {
            *n += m;
        }
    }

    /// One line of the tally, `what` naming the changes.
    fn line(&self, what: &str) -> String {
        let total: usize = self.0.iter().flatten().sum();
        let parts: Vec<String> = ["an alert opened", "an escalation", "no alert"]
            .iter()
            .zip(self.0)
            .map(|(by, [sixth, later, never])| {
                format!(
                    "{by} {} (reported at the 6th run {sixth}, later {later}, never {never})",
                    sixth + later + never
                )
            })
            .collect();
        let [early, a, b, c, d] = self.1;
        format!(
            "{what} missed within 5 runs: {total}; by what came in the 2 runs before them: {}; \
             {early} showed early (a run of the 2 before them drew past halfway to them), the others' first 5 runs stood above the level before them by under 2 standard errors in {a}, 2-3 in {b}, 3-4 in {c}, 4 or more in {d}",
            parts.join(", ")
        )
    }
}

fn score(f: &Family, change: Change, seed: u64, s: &Settings, write: Option<&str>) -> Score {
    let mut rng = StdRng::seed_from_u64(seed);
    let metric = if f.higher {
        "throughput_rps"
    } else {
        "response_time_p95_ms"
    };
    let mut csv = String::from("metric,run,value\n");
    let all: Vec<Vec<f64>> = (0..SERIES)
        .map(|k| series(&mut rng, f, change.for_series(k)))
        .collect();
    for (k, values) in all.iter().enumerate() {
        for (i, v) in values.iter().enumerate() {
            let _ = writeln!(csv, "s{k}.{metric},{i},{v:.4}");
        }
    }
    let report = backtest(&csv, "synthetic", s).unwrap();
    // Where the change starts; an alert before it is a false alarm.
    let start = f.change_at;
    let quiet_until = change.quiet_until(f.change_at, f.runs);
    if let Some(dir) = write {
        write_history(dir, f, change, &csv, [start, quiet_until, s.min_samples]);
    }
    let mut sc = Score {
        false_alarms: 0,
        checks: SERIES * quiet_until.saturating_sub(s.min_samples),
        caught: [0; 4],
        repeats: 0,
        escalations: 0,
        reported: 0,
        behind_critical: 0,
        late: Late::default(),
    };
    let mut first: std::collections::HashMap<&str, usize> = Default::default();
    // Each series' last regression alert before the change: its run, its
    // severity, and whether it escalated.
    let mut before: std::collections::HashMap<&str, (usize, Severity, bool)> = Default::default();
    for a in report
        .alerts
        .iter()
        .filter(|a| a.kind == AlertKind::Regression)
    {
        let run = a.run.as_u64().unwrap() as usize;
        if run < start {
            let this = (run, a.severity, a.rule.starts_with("escalation"));
            let last = before.entry(a.metric.as_str()).or_insert(this);
            if run >= last.0 {
                *last = this;
            }
        }
        if run < quiet_until {
            sc.false_alarms += 1;
            if std::env::var_os("PG_FALSE_ALARMS").is_some() && change == Change::None {
                println!(
                    "-- {} false alarm: {} at run {run} ({:?}, z {:.2}): {}",
                    f.name, a.metric, a.severity, a.z_score, a.rule
                );
                if std::env::var_os("PG_FA_VALUES").is_some() {
                    // The metric is `s{k}.{metric}`, series k of `all`.
                    let k = a.metric[1..].split('.').next().and_then(|k| k.parse().ok());
                    if let Some(values) = k.and_then(|k: usize| all.get(k)) {
                        let v: Vec<String> =
                            values[..=run].iter().map(|x| format!("{x:.4}")).collect();
                        println!("   values: {}", v.join(","));
                    }
                }
            }
        } else if run >= start {
            match first.entry(a.metric.as_str()) {
                std::collections::hash_map::Entry::Occupied(mut e) => {
                    sc.repeats += 1;
                    if std::env::var_os("PG_REPEATS").is_some() {
                        println!(
                            "-- {} {} repeat: {} at run {run} ({:?}, z {:.2}): {}",
                            f.name,
                            change.tag(),
                            a.metric,
                            a.severity,
                            a.z_score,
                            a.rule
                        );
                    }
                    sc.escalations += a.rule.starts_with("escalation") as usize;
                    *e.get_mut() = (*e.get()).min(run);
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(run);
                }
            }
        }
    }
    let want = std::env::var("PG_MISSES_STEP")
        .ok()
        .and_then(|v| v.parse::<f64>().ok());
    if std::env::var_os("PG_MISSES").is_some()
        && match want {
            Some(k) => change == Change::Step(k),
            None => matches!(
                change,
                Change::AfterAlert { .. }
                    | Change::Blip { .. }
                    | Change::Varied(_)
                    | Change::Step(6.0)
            ),
        }
    {
        print_misses(f, change, seed, s, &first, start);
    }
    sc.reported = first.len();
    sc.behind_critical = before
        .iter()
        .filter(|(m, (_, sev, _))| {
            *sev == Severity::Critical && first.get(*m).is_none_or(|&run| run >= start + 5)
        })
        .count();
    for &run in first.values() {
        for (k, within) in [3, 5, 10, 15].into_iter().enumerate() {
            sc.caught[k] += (run < start + within) as usize;
        }
    }
    for (k, values) in all.iter().enumerate() {
        let m = format!("s{k}.{metric}");
        let when = match first.get(m.as_str()) {
            Some(&run) if run < start + 5 => continue,
            Some(&run) if run == start + 5 => 0,
            Some(_) => 1,
            None => 2,
        };
        let by = match before.get(m.as_str()) {
            Some(&(run, _, esc)) if run + 2 >= start => usize::from(esc),
            _ => 2,
        };
        sc.late.0[by][when] += 1;
        let (sep, early) = apart(f, change.for_series(k), values);
        let bin = 1 + [2.0, 3.0, 4.0].iter().take_while(|&&b| sep >= b).count();
        sc.late.1[if early { 0 } else { bin }] += 1;
    }
    sc
}

/// Writes a family's histories for one change as `DIR/<family>_<change>.csv` and
/// appends its line to `DIR/manifest.csv`: file, family, change, the run where the
/// change starts, the run before which an alert is a false one, the first run
/// judged, and whether higher is better. Other detectors are scored from it
/// (`bench/otava.sh`).
fn write_history(dir: &str, f: &Family, change: Change, csv: &str, runs: [usize; 3]) {
    use std::io::Write as _;
    std::fs::create_dir_all(dir).unwrap();
    let file = format!("{}_{}.csv", f.name.replace('+', "_"), change.tag());
    std::fs::write(format!("{dir}/{file}"), csv).unwrap();
    let manifest = format!("{dir}/manifest.csv");
    let new = !std::path::Path::new(&manifest).exists();
    let mut m = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&manifest)
        .unwrap();
    if new {
        writeln!(
            m,
            "file,family,change,start,quiet_until,first_judged,higher"
        )
        .unwrap();
    }
    let [start, quiet, first] = runs;
    writeln!(
        m,
        "{file},{},{},{start},{quiet},{first},{}",
        f.name,
        change.tag(),
        f.higher
    )
    .unwrap();
}

/// How many runs a change may take before `print_misses` lists it (`PG_MISSES_WITHIN`).
fn within() -> usize {
    std::env::var("PG_MISSES_WITHIN")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

/// Each series whose change went unreported for `within()` runs, run by run around it:
/// value, z, suspect and confirmed kinds, what opened (PG_MISSES=1).
fn print_misses(
    f: &Family,
    change: Change,
    seed: u64,
    s: &Settings,
    first: &std::collections::HashMap<&str, usize>,
    start: usize,
) {
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = f.dir();
    for k in 0..SERIES {
        let values = series(&mut rng, f, change.for_series(k));
        let name = format!("s{k}.");
        let hit = first
            .iter()
            .any(|(m, &run)| m.starts_with(&name) && run < start + within());
        if hit {
            continue;
        }
        let mut r = Replay::new(s, dir);
        let mut events = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let out = r.push(*v);
            if let Some((j, Some(_))) = &out {
                events.push(format!("{i}{}", if j.escalated { "e" } else { "" }));
            }
        }
        let (sep, early) = apart(f, change.for_series(k), &values);
        println!(
            "-- {} {} {name} missed: alerts at {} (first 5 runs {sep:.1} standard errors above the level before{})",
            f.name,
            change.tag(),
            events.join(" "),
            if early { "; showed early" } else { "" }
        );
        if std::env::var_os("PG_MISSES_SERIES").is_some() {
            let all: Vec<String> = values.iter().map(|v| format!("{v:.4}")).collect();
            println!("   series: {}", all.join(", "));
        }
        if std::env::var_os("PG_MISSES_RUNS").is_none() {
            continue;
        }
        let mut r = Replay::new(s, dir);
        for (i, v) in values.iter().enumerate() {
            let out = r.push(*v);
            if i + 10 < start || i > start + 6 {
                continue;
            }
            if let Some((j, opened)) = out {
                println!(
                    "  run {i:>3} {v:>9.3} z {:>6.2} suspect {:?} confirmed {:?} by {:?} opened {:?} esc {} center {:.2} scale {:.2}",
                    j.z,
                    j.suspect,
                    j.confirmed,
                    j.detected_by,
                    opened,
                    j.escalated,
                    j.center,
                    j.scale
                );
                if opened.is_some() {
                    println!("        rule: {}", j.rule.as_deref().unwrap_or(""));
                }
            }
        }
    }
}

fn pct(a: usize, b: usize) -> f64 {
    100.0 * a as f64 / b.max(1) as f64
}

/// The first held-out corpus's figures, kept and pushed (the bar), for
/// the two families it had: Gaussian noise and log-normal noise with spikes. The
/// Gaussian bars hold for Gaussian noise over long histories too (80 and 160
/// runs, latency and throughput): a longer history must not judge the same
/// noise worse.
#[derive(Clone, Copy)]
struct FirstCorpus {
    /// 2-sigma steps caught within 5 runs, %.
    catch2: Option<f64>,
    /// 3-sigma steps caught within 5 runs, %.
    catch3: f64,
    /// 4-sigma steps caught within 3 runs, %.
    catch4_3: f64,
}

fn first_corpus(name: &str) -> Option<FirstCorpus> {
    match name {
        "gaussian-cv5" | "history-80" | "long-history" | "long-throughput" => Some(FirstCorpus {
            catch2: Some(75.0),
            catch3: 97.0,
            catch4_3: 97.0,
        }),
        "skewed+spikes" => Some(FirstCorpus {
            catch2: None,
            catch3: 98.0,
            catch4_3: 98.0,
        }),
        _ => None,
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "goal met" } else { "GOAL MISSED" }
}

/// Prints the line of a 6-sigma step `what` (every one reported within 5 runs is
/// the goal) and returns whether the goal was met.
fn every_step(f: &Family, what: &str, sc: &Score) -> bool {
    let ok = sc.caught[1] == SERIES;
    println!(
        "{:<14} step 6 sigma {what}: within 5 runs {:.1}% ({} missed; never reported {}; behind a critical alert {})  [100%: {}]",
        f.name,
        pct(sc.caught[1], SERIES),
        SERIES - sc.caught[1],
        SERIES - sc.reported,
        sc.behind_critical,
        verdict(ok)
    );
    ok
}

/// One family's figures; returns how many of its goals were missed, and its
/// 6-sigma steps missed ([`Late`]).
fn run_family(f: &Family, seed: u64, s: &Settings, write: Option<&str>) -> (usize, Late) {
    let mut missed = 0;
    let mut check = |ok: bool| {
        missed += (!ok) as usize;
        verdict(ok)
    };
    let null = score(f, Change::None, seed, s, write);
    let fa = pct(null.false_alarms, null.checks);
    println!(
        "{:<14} false alarms {fa:.3}% of checks ({} of {})  [<= {}%: {}]",
        f.name,
        null.false_alarms,
        null.checks,
        f.max_false_pct,
        check(fa <= f.max_false_pct)
    );
    let first = first_corpus(f.name);
    if let Some(goals) = first {
        for (k, bar) in [(2.0, goals.catch2), (3.0, Some(goals.catch3))] {
            let r = score(f, Change::Step(k), seed + k as u64, s, write);
            let c5 = pct(r.caught[1], SERIES);
            let goal = bar.map_or(String::new(), |b| {
                format!("  [>= {b}%: {}]", check(c5 >= b))
            });
            println!(
                "{:<14} step {k} sigma: within 3 runs {:.1}%, within 5 runs {c5:.1}%{goal}; within 10 runs {:.1}%, never reported {}; further alerts while it holds {:.1} per 100 series",
                f.name,
                pct(r.caught[0], SERIES),
                pct(r.caught[2], SERIES),
                SERIES - r.reported,
                pct(r.repeats, SERIES)
            );
        }
    }
    if f.name == "gaussian-cv5" {
        for (n, share) in [(0, 0.5), (1, 0.3)] {
            let r = score(
                f,
                Change::Intermittent { k: 6.0, share },
                seed + 11 + n,
                s,
                write,
            );
            println!(
                "{:<14} 6 sigma on {:.0}% of runs: within 5 runs {:.1}%, within 10 runs {:.1}%, within 15 runs {:.1}%; further alerts {:.1} per 100 series",
                f.name,
                100.0 * share,
                pct(r.caught[1], SERIES),
                pct(r.caught[2], SERIES),
                pct(r.caught[3], SERIES),
                pct(r.repeats, SERIES)
            );
        }
    }
    let r4 = score(f, Change::Step(4.0), seed + 4, s, write);
    let (c4_3, c4) = (pct(r4.caught[0], SERIES), pct(r4.caught[1], SERIES));
    let goal3 = first.map_or(String::new(), |g| {
        format!("  [>= {}%: {}]", g.catch4_3, check(c4_3 >= g.catch4_3))
    });
    println!(
        "{:<14} step 4 sigma: within 3 runs {c4_3:.1}%{goal3}, within 5 runs {c4:.1}%  [>= {}%: {}]; never reported {}; further alerts while it holds {:.1} per 100 series ({:.1} escalations)",
        f.name,
        f.min_catch4_pct,
        check(c4 >= f.min_catch4_pct),
        SERIES - r4.reported,
        pct(r4.repeats, SERIES),
        pct(r4.escalations, SERIES)
    );
    let r6 = score(f, Change::Step(6.0), seed + 6, s, write);
    let after = score(f, Change::after_alert(6.0), seed + 7, s, write);
    let (c6, ca) = (pct(r6.caught[1], SERIES), pct(after.caught[1], SERIES));
    // Counts beside the rates: at a 100% bar, one series in 600 is the difference.
    println!(
        "{:<14} step 6 sigma: within 5 runs {c6:.1}% ({} missed); after an open 2-sigma alert {ca:.1}% ({} missed; within 10 runs {:.1}%; never reported {})  [100%: {}]; further alerts while it holds {:.1} per 100 series (after an alert {:.1}); missed behind a critical alert: plain {}, after an alert {}",
        f.name,
        SERIES - r6.caught[1],
        SERIES - after.caught[1],
        pct(after.caught[2], SERIES),
        SERIES - after.reported,
        check(r6.caught[1] == SERIES && after.caught[1] == SERIES),
        pct(r6.repeats, SERIES),
        pct(after.repeats, SERIES),
        r6.behind_critical,
        after.behind_critical
    );
    let blip = score(f, Change::blip(6.0), seed + 9, s, write);
    check(every_step(f, "after a blip", &blip));
    let varied = score(f, Change::Varied(6.0), seed + 10, s, write);
    check(every_step(
        f,
        "after a small step or blip 3 to 10 runs before",
        &varied,
    ));
    let ramp = score(f, Change::Ramp(6.0, 8), seed + 8, s, write);
    let cr = pct(ramp.caught[2], SERIES);
    println!(
        "{:<14} ramp 6 sigma over 8 runs: within 10 runs of its start {cr:.1}%  [>= 90%: {}]",
        f.name,
        check(cr >= 90.0)
    );
    let mut late = Late::default();
    for sc in [&r6, &after, &blip, &varied] {
        late.add(sc.late);
    }
    (missed, late)
}

/// The units `--units` replays each series in besides its own: milliseconds as
/// seconds and as microseconds' millionths, thirds, 0.37, inches as centimetres,
/// bytes as megabytes and as terabytes.
const UNITS: [f64; 7] = [1e-3, 1e-6, 1.0 / 3.0, 0.37, 2.54, 1e6, 1e12];

/// `--units`: how many of a family's series (no change, a 6-sigma step, a varied
/// lead before one), each replayed in every one of [`UNITS`], were decided run
/// for run as in their own unit, of how many pairs.
fn units_alike(f: &Family, seed: u64, s: &Settings) -> (usize, usize) {
    let dir = f.dir();
    let (mut alike, mut pairs) = (0, 0);
    for (change, seed) in [
        (Change::None, seed),
        (Change::Step(6.0), seed + 6),
        (Change::Varied(6.0), seed + 10),
    ] {
        let mut rng = StdRng::seed_from_u64(seed);
        for k in 0..SERIES {
            let values = series(&mut rng, f, change.for_series(k));
            let want = Decision::of_each(s, &values, dir);
            for unit in UNITS {
                let scaled: Vec<f64> = values.iter().map(|v| v * unit).collect();
                pairs += 1;
                let got = Decision::of_each(s, &scaled, dir);
                if std::env::var_os("PG_UNITS_DIFF").is_some() {
                    print_unit_diff(f, k, unit, &want, &got, &values);
                }
                alike += usize::from(got == want);
            }
        }
    }
    (alike, pairs)
}

/// The first run series `k` was decided differently at in `unit` than in its
/// own, both decisions, and its values up to that run (`PG_UNITS_DIFF=1`).
fn print_unit_diff(
    f: &Family,
    k: usize,
    unit: f64,
    want: &[Option<Decision>],
    got: &[Option<Decision>],
    values: &[f64],
) {
    if let Some(i) = (0..want.len()).find(|&i| got[i] != want[i]) {
        eprintln!(
            "-- {} series {k} unit {unit} run {i}: {:?} | {:?}",
            f.name, want[i], got[i]
        );
        eprintln!("   values {:?}", &values[..=i]);
    }
}

fn arg<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The groups `--family` takes by name.
const GROUPS: &[(&str, &[Family])] = &[
    ("core", FAMILIES),
    ("held-out", HELD_OUT),
    ("far-modes", FAR_MODES),
    ("unseen", UNSEEN),
    ("errors", ERRORS),
    ("quiet", QUIET),
    ("mirrored", MIRRORED),
    ("noisy-tails", NOISY_TAILS),
    ("short-tails", SHORT_TAILS),
    ("fresh", FRESH),
    ("late", LATE),
    ("long", LONG),
    ("fixed", FIXED),
    ("heavier", HEAVIER),
    ("harsher", HARSHER),
];

/// The families `--family` names (a comma-separated list of families and
/// groups), all without it; or the first name that is neither, so a typo does
/// not pass for a run that met every goal.
fn selected(only: Option<&str>) -> Result<Vec<&'static Family>, String> {
    // The core families, their variants, then every other group (core is first).
    let all = || {
        FAMILIES
            .iter()
            .chain(VARIANTS)
            .chain(GROUPS[1..].iter().flat_map(|g| g.1.iter()))
    };
    let Some(list) = only else {
        return Ok(all().collect());
    };
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    let group = |name: &str| GROUPS.iter().find(|g| g.0 == name).map(|g| g.1);
    if let Some(bad) = names
        .iter()
        .find(|&&n| group(n).is_none() && !all().any(|f| f.name == n))
    {
        return Err(bad.to_string());
    }
    Ok(all()
        .filter(|f| {
            names.iter().any(|&n| {
                n == f.name || group(n).is_some_and(|g| g.iter().any(|h| h.name == f.name))
            })
        })
        .collect())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = arg(&args, "--seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261127);
    let seeds: u64 = arg(&args, "--seeds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let write = arg(&args, "--write");
    let only = arg(&args, "--family");
    // Overrides for tuning sweeps: PG_Z, PG_K, PG_H, PG_SPAN, PG_MIN (percent).
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    let d = Settings::default();
    let s = Settings {
        z_threshold: env("PG_Z").unwrap_or(d.z_threshold),
        cusum_k: env("PG_K").unwrap_or(d.cusum_k),
        cusum_h: env("PG_H").unwrap_or(d.cusum_h),
        cusum_span: env("PG_SPAN").map_or(d.cusum_span, |v| v as usize),
        min_change_pct: env("PG_MIN").unwrap_or(d.min_change_pct),
        ..d
    };
    let families = match selected(only) {
        Ok(families) => families,
        Err(name) => {
            eprintln!("--family: no family or group is named {name:?}");
            std::process::exit(2);
        }
    };
    println!(
        "perfgate detection benchmark: {SERIES} series per family and change; settings z {} persistence {} min change {}% cusum k {} h {}",
        s.z_threshold, s.persistence, s.min_change_pct, s.cusum_k, s.cusum_h
    );
    if args.iter().any(|a| a == "--units") {
        let (mut alike, mut pairs) = (0, 0);
        for k in 0..seeds {
            for f in &families {
                let (a, p) = units_alike(f, seed + 1000 * k, &s);
                println!(
                    "{:<14} decided alike in {} other units: {a} of {p} series",
                    f.name,
                    UNITS.len()
                );
                (alike, pairs) = (alike + a, pairs + p);
            }
        }
        println!("all families: {alike} of {pairs} series decided alike");
        std::process::exit(if alike == pairs { 0 } else { 1 });
    }
    let (mut missed, mut late) = (0, Late::default());
    for k in 0..seeds {
        let seed = seed + 1000 * k;
        println!("\n== seed {seed}");
        for f in &families {
            let (m, l) = run_family(f, seed, &s, write);
            missed += m;
            late.add(l);
        }
    }
    println!(
        "\n{}",
        late.line("6-sigma steps (plain, after an alert, a blip or varied)")
    );
    println!(
        "{} goal(s) missed across {} famil(ies) and {seeds} seed(s)",
        missed,
        families.len()
    );
}

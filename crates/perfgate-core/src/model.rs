//! The domain's words as types: each enum has one parse and one display (the name in
//! reports, the store and the config), so nothing compares their strings.

use serde::{Serialize, Serializer};

/// Declares a lowercase-named enum with `as_str`, `parse`, `ALL` and `Display`.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in reports, the store and the config.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Every name, comma-separated, for error messages.
            pub fn names() -> String {
                [$($text),+].join(", ")
            }

            /// The value with this name.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        // `pad`, not `write_str`: a table's `{:<10}` must line its columns up.
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// The run's verdict: the `status` of the JSON report.
    Verdict {
        /// No regression fails the build and every scenario ran.
        Pass = "pass",
        /// At least one regression (or broken threshold) fails the build.
        Regression = "regression",
        /// A scenario could not run (no successful response, a database error...).
        Error = "error",
    }
);

named_enum!(
    /// What became of one metric in one run.
    MetricVerdict {
        /// Within its baseline.
        Ok = "ok",
        /// Too little history to judge yet.
        Building = "building",
        /// Recorded as baseline history without judging (`--establish-baselines`).
        Baseline = "baseline",
        /// Beyond the threshold once; not confirmed yet.
        Suspect = "suspect",
        /// Suspect, then cleared: the confirming observation (a re-run, or the
        /// tool's own spread) is no longer suspect.
        Cleared = "cleared",
        /// A confirmed regression.
        Regression = "regression",
        /// A confirmed improvement.
        Improvement = "improvement",
        /// A confirmed regression whose alert triage has silenced.
        Silenced = "silenced",
        /// An absolute threshold is broken.
        Threshold = "threshold",
    }
);

named_enum!(
    /// The kind of a confirmed change, and of the alert it opens.
    AlertKind {
        /// Worse than the baseline.
        Regression = "regression",
        /// Better than the baseline.
        Improvement = "improvement",
        /// An absolute threshold broken, whatever the history.
        Threshold = "threshold",
    }
);

named_enum!(
    /// Which detection rule raised an alert: alert quality is counted per rule.
    DetectionRule {
        /// Consecutive observations beyond the z threshold (or the percent path).
        Streak = "streak",
        /// A CUSUM over recent runs: a shift too small to clear the threshold twice.
        Cusum = "cusum",
        /// A suspect run confirmed by a re-run in the same CI run.
        Rerun = "rerun",
        /// An ingested result confirmed by the tool's own spread.
        ToolSpread = "tool-spread",
        /// Consecutive observations beyond every run of the baseline: a rank test,
        /// whatever the noise's shape.
        Rank = "rank",
        /// Consecutive observations together in a gap of the baseline's runs, apart
        /// from those either side: a rank test for a step between two clusters.
        Gap = "gap",
        /// The newest runs' mean set apart from the runs before them: a step too
        /// small for the other rules, before the baseline rises to meet it.
        Shift = "shift",
        /// A further move while an alert was open.
        Escalation = "escalation",
        /// An absolute threshold broken.
        Threshold = "threshold",
    }
);

named_enum!(
    /// What started a run (stored with it; `perfgate runs` shows it).
    #[derive(Default)]
    RunMode {
        /// The headless front-end (`perfgate --ci`).
        #[default]
        Ci = "ci",
        /// The console.
        Tui = "tui",
        /// `--establish-baselines`: history recorded without judging.
        Establish = "establish",
        /// One shard of a sharded run (`--shard`), judged by `perfgate merge`.
        Shard = "shard",
        /// The shards of a run group merged and judged.
        Merge = "merge",
        /// Results ingested from another tool.
        Ingest = "ingest",
        /// `perfgate demo`.
        Demo = "demo",
        /// The core library's API, from code.
        Api = "api",
    }
);

named_enum!(
    /// Triage states of an alert (Perfherder's).
    TriageState {
        /// Nobody has looked yet.
        Untriaged = "untriaged",
        /// Known; does not fail builds again.
        Acknowledged = "acknowledged",
        /// Being looked into; does not fail builds again.
        Investigating = "investigating",
        /// A false alarm.
        Invalid = "invalid",
        /// The metric recovered.
        Fixed = "fixed",
        /// The new level is the baseline.
        Accepted = "accepted",
    }
);

impl TriageState {
    /// What triage said of the alert, the one place it is decided: `invalid` is a
    /// false alarm; `fixed`, `acknowledged` and `accepted` are real changes; an
    /// untriaged or investigated alert has no answer yet.
    pub fn true_alarm(self) -> Option<bool> {
        match self {
            TriageState::Invalid => Some(false),
            TriageState::Fixed | TriageState::Acknowledged | TriageState::Accepted => Some(true),
            TriageState::Untriaged | TriageState::Investigating => None,
        }
    }

    /// States of an open alert (its baseline stays frozen).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            TriageState::Untriaged | TriageState::Acknowledged | TriageState::Investigating
        )
    }

    /// States in which a regression no longer fails a build.
    pub fn is_silenced(self) -> bool {
        matches!(
            self,
            TriageState::Acknowledged | TriageState::Investigating | TriageState::Invalid
        )
    }
}

named_enum!(
    /// How one scenario of a run ended.
    #[derive(Default)]
    ScenarioStatus {
        /// Ran to the end.
        #[default]
        Ok = "ok",
        /// Could not run, or got no successful response.
        Error = "error",
        /// Stopped by a signal or the user.
        Interrupted = "interrupted",
        /// Stopped early by an abort-on-fail threshold.
        Aborted = "aborted",
    }
);

named_enum!(
    /// A change an engineer makes to a metric's baseline.
    BaselineAction {
        /// The new level is the baseline from a given run on.
        Accept = "accept",
        /// The history so far leaves the baseline; it rebuilds from the next runs.
        Reset = "reset",
        /// Takes back the newest reset before any run was judged after it (the
        /// event's `since_run` holds the id of the reset it takes back).
        Undo = "undo",
    }
);

named_enum!(
    /// The seed's severity bands, as labels of magnitude (ordered, low first).
    Severity {
        /// 1.5 to 2 sigma.
        Low = "low",
        /// 2 to 3 sigma.
        Medium = "medium",
        /// 3 to 4 sigma.
        High = "high",
        /// Beyond 4 sigma.
        Critical = "critical",
    }
);

named_enum!(
    /// Where a run stands in the store.
    #[derive(Default)]
    RunStatus {
        /// Started and not finished (or its process died: see `incomplete`).
        #[default]
        Running = "running",
        /// Finished; its values are baseline history.
        Complete = "complete",
        /// Stopped by a signal or the user; kept out of baselines.
        Interrupted = "interrupted",
        /// Its process died without finishing it.
        Incomplete = "incomplete",
        /// Stopped early by an abort-on-fail threshold.
        Aborted = "aborted",
        /// One shard of a sharded run: raw data for `perfgate merge`, never a baseline sample.
        Shard = "shard",
    }
);

named_enum!(
    /// The outcome of comparing one metric of two runs (`perfgate compare`).
    Change {
        /// Not significant, or within the noise threshold.
        None = "none",
        /// Significantly worse.
        Regression = "regression",
        /// Significantly better.
        Improvement = "improvement",
    }
);

impl Severity {
    /// The band above (critical stays critical): an escalated alert's severity.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_line_up_in_table_columns() {
        assert_eq!(format!("{:<10}|", RunMode::Ci), "ci        |");
        assert_eq!(format!("{:>12}|", Verdict::Pass), "        pass|");
    }
}

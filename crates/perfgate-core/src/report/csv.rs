//! One row per metric value, for spreadsheets and notebooks.

use crate::outcome::RunOutcome;

pub fn render(o: &RunOutcome) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "run_id",
        "timestamp",
        "scenario",
        "metric",
        "value",
        "unit",
        "baseline_mean",
        "baseline_std",
        "z_score",
        "severity",
        "verdict",
    ]);
    let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
    for m in &o.metrics {
        let _ = w.write_record([
            o.run_id.to_string(),
            o.started_at.clone(),
            m.scenario.clone(),
            m.name.clone(),
            format!("{}", m.value),
            m.unit.clone(),
            opt(m.baseline.as_ref().map(|b| b.mean)),
            opt(m.baseline.as_ref().map(|b| b.std)),
            opt(m.z_score),
            m.severity.map(|s| s.to_string()).unwrap_or_default(),
            m.verdict.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

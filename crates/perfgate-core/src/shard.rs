//! Merging a sharded run: the shards' HdrHistograms are added exactly (percentiles
//! of the merge, never averages of percentiles), throughput and errors are summed.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;

use crate::config::{ScenarioConfig, ScenarioType};
use crate::error::{Error, Result};
use crate::scenario::ScenarioOutput;
use crate::store::Store;

#[derive(Default)]
struct Acc {
    kind: ScenarioType,
    hist: Option<Histogram<u64>>,
    requests: u64,
    errors: BTreeMap<String, u64>,
    throughput: f64,
    bytes_weighted: f64,
    ok: f64,
    /// Non-API scenarios (run by shard 0 only): their metrics as stored.
    plain: BTreeMap<String, f64>,
}

pub fn merge(
    st: &dyn Store,
    ids: &[i64],
    group: &str,
) -> Result<Vec<(ScenarioConfig, ScenarioOutput)>> {
    if ids.is_empty() {
        return Err(Error::Usage(format!(
            "run group {group:?} has no stored shards"
        )));
    }
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for &id in ids {
        let metrics: BTreeMap<String, f64> = st
            .run_metrics(id)?
            .into_iter()
            .map(|m| (m.metric, m.value))
            .collect();
        for s in st.run_scenarios(id)? {
            let a = acc.entry(s.scenario.clone()).or_default();
            a.kind = s.kind;
            let get = |m: &str| metrics.get(&format!("{}.{m}", s.scenario)).copied();
            if s.kind != ScenarioType::Api {
                for (k, v) in metrics
                    .iter()
                    .filter(|(k, _)| k.starts_with(&format!("{}.", s.scenario)))
                {
                    a.plain
                        .insert(k.rsplit('.').next().unwrap_or(k).to_string(), *v);
                }
                continue;
            }
            if let Some(blob) = &s.histogram {
                use hdrhistogram::serialization::Deserializer;
                let h: Histogram<u64> =
                    Deserializer::new()
                        .deserialize(&mut &blob[..])
                        .map_err(|_| {
                            Error::Store(format!(
                                "run #{id}: the stored histogram of {} is unreadable",
                                s.scenario
                            ))
                        })?;
                match &mut a.hist {
                    Some(m) => {
                        m.add(&h)
                            .map_err(|_| Error::Store("histograms could not be merged".into()))?;
                    }
                    None => a.hist = Some(h),
                }
            }
            a.requests += s.requests;
            let errs: BTreeMap<String, u64> =
                serde_json::from_str(&s.errors_json).unwrap_or_default();
            for (k, v) in errs {
                *a.errors.entry(k).or_default() += v;
            }
            a.throughput += get("throughput_rps").unwrap_or(0.0);
            let ok = s
                .requests
                .saturating_sub(a.errors.values().sum::<u64>().min(s.requests))
                as f64;
            if let Some(b) = get("response_size_bytes") {
                a.bytes_weighted += b * ok.max(1.0);
                a.ok += ok.max(1.0);
            }
        }
    }
    Ok(acc
        .into_iter()
        .map(|(name, a)| {
            let mut metrics = a.plain.clone();
            let mut histogram = None;
            if a.kind == ScenarioType::Api {
                let errors: u64 = a.errors.values().sum();
                if let Some(h) = a.hist.as_ref().filter(|h| !h.is_empty()) {
                    let q = |p: f64| h.value_at_quantile(p) as f64 / 1000.0;
                    metrics.insert("response_time_mean_ms".into(), h.mean() / 1000.0);
                    metrics.insert("response_time_p50_ms".into(), q(0.50));
                    metrics.insert("response_time_p95_ms".into(), q(0.95));
                    metrics.insert("response_time_p99_ms".into(), q(0.99));
                    let mut blob = Vec::new();
                    use hdrhistogram::serialization::Serializer;
                    let _ =
                        hdrhistogram::serialization::V2Serializer::new().serialize(h, &mut blob);
                    histogram = Some(blob);
                }
                if a.ok > 0.0 {
                    metrics.insert("response_size_bytes".into(), a.bytes_weighted / a.ok);
                }
                metrics.insert(
                    "error_rate_pct".into(),
                    if a.requests == 0 {
                        100.0
                    } else {
                        errors as f64 * 100.0 / a.requests as f64
                    },
                );
                metrics.insert("throughput_rps".into(), a.throughput);
            }
            (
                ScenarioConfig::named(a.kind, name),
                ScenarioOutput {
                    metrics,
                    errors: a.errors,
                    requests: a.requests,
                    histogram,
                    note: Some(format!(
                        "merged from {} shard(s) of run group {group:?}",
                        ids.len()
                    )),
                    ..Default::default()
                },
            )
        })
        .collect())
}

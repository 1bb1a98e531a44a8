//! Benchmark harnesses' own result files, as those tools write them: pytest-benchmark
//! `--benchmark-json`, Google Benchmark `--benchmark_format=json`, `go test -bench
//! -benchmem` text, JMH JSON and the Bencher Metric Format. Times become
//! nanoseconds, sizes bytes, rates per second, each named in the metric
//! (`<benchmark>_<measure>_<unit>`). Where the tool reports its own spread (rounds,
//! repetitions, score error, bounds), the conservative end of it is the confirming
//! observation: the lower bound of a time, the upper bound of a rate.

use std::collections::BTreeMap;
use std::path::Path;

use super::{bad, non_empty, num, read_json, sanitize};
use crate::error::{Error, Result};

/// What one file contributes: metric values and their confirming observations.
pub type Metrics = BTreeMap<String, f64>;

/// Seconds (and friends) to nanoseconds.
fn to_ns(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    })
}

/// A 95% lower bound of a mean from its spread and sample count.
fn mean_lower(mean: f64, sd: f64, n: f64) -> Option<f64> {
    (n >= 2.0 && sd.is_finite()).then(|| mean - 1.96 * sd / n.sqrt())
}

/// pytest-benchmark: `benchmarks[].stats` in seconds; rounds give the spread.
pub fn pytest(file: &Path, m: &mut Metrics, confirm: &mut Metrics) -> Result<()> {
    let v = read_json(file)?;
    let list = non_empty(
        &v["benchmarks"],
        file,
        "benchmarks",
        "pytest-benchmark's --benchmark-json output",
    )?;
    for (i, b) in list.iter().enumerate() {
        let name = sanitize(b["name"].as_str().unwrap_or(&format!("bench{i}")));
        let st = &b["stats"];
        let f = |k: &str| num(&st[k], file, &format!("benchmarks[{i}].stats.{k}"));
        let (mean, median) = (f("mean")?, f("median")?);
        m.insert(format!("{name}_mean_ns"), mean * 1e9);
        m.insert(format!("{name}_median_ns"), median * 1e9);
        if let Ok(ops) = f("ops") {
            m.insert(format!("{name}_ops_per_sec"), ops);
        }
        let rounds = st["rounds"].as_f64().unwrap_or(0.0);
        if let Some(lo) = mean_lower(mean, st["stddev"].as_f64().unwrap_or(f64::NAN), rounds) {
            confirm.insert(format!("{name}_mean_ns"), lo * 1e9);
        }
    }
    Ok(())
}

/// Google Benchmark: per-repetition `iteration` entries and `aggregate` ones (mean,
/// median, stddev) by `run_name`; `time_unit` names the unit.
pub fn google(file: &Path, m: &mut Metrics, confirm: &mut Metrics) -> Result<()> {
    let v = read_json(file)?;
    let list = non_empty(
        &v["benchmarks"],
        file,
        "benchmarks",
        "Google Benchmark's --benchmark_format=json output",
    )?;
    let mut runs: BTreeMap<String, Repetitions> = BTreeMap::new();
    for (i, b) in list.iter().enumerate() {
        if b["run_type"].as_str() == Some("aggregate")
            || b["error_occurred"].as_bool() == Some(true)
        {
            continue; // recomputed from the repetitions, which also give the spread
        }
        let unit = b["time_unit"].as_str().unwrap_or("ns");
        let k = to_ns(unit).ok_or_else(|| {
            bad(
                file,
                &format!("benchmarks[{i}].time_unit"),
                "is not one of ns, us, ms, s",
            )
        })?;
        let name = b["run_name"]
            .as_str()
            .or(b["name"].as_str())
            .unwrap_or("bench");
        let e = runs.entry(sanitize(name)).or_default();
        e.0.push(num(&b["real_time"], file, &format!("benchmarks[{i}].real_time"))? * k);
        e.1.push(num(&b["cpu_time"], file, &format!("benchmarks[{i}].cpu_time"))? * k);
        if let Some(x) = b["items_per_second"].as_f64() {
            e.2.push(x);
        }
    }
    for (name, (real, cpu, items)) in runs {
        for (measure, xs) in [("real_time_ns", &real), ("cpu_time_ns", &cpu)] {
            let (mean, sd) = mean_sd(xs);
            m.insert(format!("{name}_{measure}"), mean);
            if let Some(lo) = mean_lower(mean, sd, xs.len() as f64) {
                confirm.insert(format!("{name}_{measure}"), lo);
            }
        }
        if !items.is_empty() {
            m.insert(format!("{name}_items_per_sec"), mean_sd(&items).0);
        }
    }
    Ok(())
}

/// One benchmark's repetitions: real ns, cpu ns, items per second.
type Repetitions = (Vec<f64>, Vec<f64>, Vec<f64>);

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n.max(1.0);
    let var = if xs.len() > 1 {
        xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        f64::NAN
    };
    (mean, var.sqrt())
}

/// `go test -bench . -benchmem` text: `BenchmarkX-8  N  123 ns/op  64 B/op  2 allocs/op
/// [12.5 MB/s]`; `-count` repetitions are averaged and give the spread.
pub fn go(file: &Path, m: &mut Metrics, confirm: &mut Metrics) -> Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::Usage(format!("{}: cannot be read ({e})", file.display())))?;
    let mut seen: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (ln, line) in text.lines().enumerate() {
        let mut f = line.split_whitespace();
        let Some(name) = f.next().filter(|n| n.starts_with("Benchmark")) else {
            continue;
        };
        // The -GOMAXPROCS suffix is the machine, not the benchmark.
        let base = match name.rsplit_once('-') {
            Some((b, p)) if p.chars().all(|c| c.is_ascii_digit()) => b,
            _ => name,
        };
        let bench = sanitize(base.trim_start_matches("Benchmark"));
        let fields: Vec<&str> = f.collect();
        if fields.first().is_none_or(|n| n.parse::<u64>().is_err()) {
            continue; // a log line that happens to start with "Benchmark"
        }
        for pair in fields[1..].chunks(2) {
            let [value, unit] = pair else { continue };
            let x: f64 = value.parse().map_err(|_| {
                Error::Usage(format!(
                    "{}: line {}: {value:?} before {unit:?} is not a number",
                    file.display(),
                    ln + 1
                ))
            })?;
            let measure = match *unit {
                "ns/op" => "time_ns",
                "B/op" => "mem_bytes",
                "allocs/op" => "allocs",
                "MB/s" => "mb_per_sec",
                other => {
                    seen.entry(format!("{bench}_{}", sanitize(other)))
                        .or_default()
                        .push(x);
                    continue;
                }
            };
            seen.entry(format!("{bench}_{measure}"))
                .or_default()
                .push(x);
        }
    }
    if seen.is_empty() {
        return Err(bad(
            file,
            "Benchmark lines",
            "are missing; expected the output of `go test -bench . -benchmem`",
        ));
    }
    for (name, xs) in seen {
        let (mean, sd) = mean_sd(&xs);
        m.insert(name.clone(), mean);
        if name.ends_with("_time_ns")
            && let Some(lo) = mean_lower(mean, sd, xs.len() as f64)
        {
            confirm.insert(name, lo);
        }
    }
    Ok(())
}

/// JMH JSON: `[{benchmark, mode, primaryMetric: {score, scoreError, scoreUnit}}]`;
/// throughput modes become ops per second, time modes nanoseconds per op.
pub fn jmh(file: &Path, m: &mut Metrics, confirm: &mut Metrics) -> Result<()> {
    let v = read_json(file)?;
    let list = non_empty(&v, file, "(top level)", "JMH's -rf json output")?;
    for (i, b) in list.iter().enumerate() {
        let full = b["benchmark"].as_str().unwrap_or("bench");
        let short = full.rsplitn(3, '.').take(2).collect::<Vec<_>>();
        let mut name = sanitize(&short.iter().rev().copied().collect::<Vec<_>>().join("_"));
        if let Some(p) = b["params"].as_object() {
            for (k, v) in p {
                name.push_str(&format!(
                    "_{}_{}",
                    sanitize(k),
                    sanitize(v.as_str().unwrap_or(""))
                ));
            }
        }
        let pm = &b["primaryMetric"];
        let score = num(&pm["score"], file, &format!("[{i}].primaryMetric.score"))?;
        let err = pm["scoreError"].as_f64().filter(|e| e.is_finite());
        let unit = pm["scoreUnit"].as_str().unwrap_or("");
        let (metric, k, higher) = match unit.split_once('/') {
            Some(("ops", per)) => {
                let secs = to_ns(per).ok_or_else(|| {
                    bad(
                        file,
                        &format!("[{i}].primaryMetric.scoreUnit"),
                        "is not ops/ns, ops/us, ops/ms or ops/s",
                    )
                })? / 1e9;
                (format!("{name}_ops_per_sec"), 1.0 / secs, true)
            }
            Some((t, "op")) => {
                let k = to_ns(t).ok_or_else(|| {
                    bad(
                        file,
                        &format!("[{i}].primaryMetric.scoreUnit"),
                        "is not ns/op, us/op, ms/op or s/op",
                    )
                })?;
                (format!("{name}_time_ns"), k, false)
            }
            _ => {
                return Err(bad(
                    file,
                    &format!("[{i}].primaryMetric.scoreUnit"),
                    "is missing; expected ops/<time> or <time>/op",
                ));
            }
        };
        m.insert(metric.clone(), score * k);
        if let Some(e) = err {
            // The conservative end of JMH's 99.9% interval.
            confirm.insert(metric, if higher { score + e } else { score - e } * k);
        }
    }
    Ok(())
}

/// Bencher Metric Format: `{benchmark: {measure: {value, lower_value?, upper_value?}}}`.
/// `latency` is nanoseconds, `throughput` operations per second, `file-size` bytes;
/// other measures keep their name.
pub fn bmf(file: &Path, m: &mut Metrics, confirm: &mut Metrics) -> Result<()> {
    let v = read_json(file)?;
    let benches = v.as_object().filter(|o| !o.is_empty()).ok_or_else(|| {
        bad(
            file,
            "(top level)",
            "is not a non-empty object; expected Bencher Metric Format JSON",
        )
    })?;
    for (bench, measures) in benches {
        let measures = measures.as_object().ok_or_else(|| {
            bad(
                file,
                bench,
                "is not an object of measures; expected {\"latency\": {\"value\": ...}}",
            )
        })?;
        for (measure, x) in measures {
            let value = num(&x["value"], file, &format!("{bench}.{measure}.value"))?;
            let (metric, higher) = match measure.as_str() {
                "latency" => (format!("{}_latency_ns", sanitize(bench)), false),
                "throughput" => (format!("{}_ops_per_sec", sanitize(bench)), true),
                "file-size" => (format!("{}_file_size_bytes", sanitize(bench)), false),
                other => (format!("{}_{}", sanitize(bench), sanitize(other)), false),
            };
            let bound = if higher { "upper_value" } else { "lower_value" };
            if let Some(b) = x[bound].as_f64().filter(|b| b.is_finite()) {
                confirm.insert(metric.clone(), b);
            }
            m.insert(metric, value);
        }
    }
    Ok(())
}

/// Criterion's whole output folder (`target/criterion`): every `new/estimates.json`.
pub fn criterion_dir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                // The report folder holds HTML only; `base` is the previous run.
                if !matches!(
                    p.file_name().and_then(|n| n.to_str()),
                    Some("report" | "base")
                ) {
                    stack.push(p);
                }
            } else if p.file_name().is_some_and(|n| n == "estimates.json")
                && p.parent()
                    .and_then(|q| q.file_name())
                    .is_some_and(|n| n == "new")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Source, load};
    use std::path::PathBuf;

    fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn metrics(
        source: Source,
        f: &PathBuf,
    ) -> (
        std::collections::BTreeMap<String, f64>,
        Option<std::collections::BTreeMap<String, f64>>,
    ) {
        let mut v = load(source, std::slice::from_ref(f), None).unwrap();
        let (_, out) = v.remove(0);
        (out.metrics, out.confirmation)
    }

    const PYTEST: &str = r#"{"machine_info": {"node": "ci"}, "benchmarks": [
      {"group": null, "name": "test_sort[1000]", "fullname": "tests/test_perf.py::test_sort[1000]",
       "stats": {"min": 0.000101, "max": 0.000190, "mean": 0.000120, "stddev": 0.000010,
                 "rounds": 400, "median": 0.000118, "iqr": 0.000008, "q1": 0.000114, "q3": 0.000122,
                 "iqr_outliers": 3, "stddev_outliers": 20, "outliers": "20;3", "ld15iqr": 0.000101,
                 "hd15iqr": 0.000134, "ops": 8333.3, "total": 0.048, "iterations": 1}}],
      "datetime": "2026-11-29T01:00:00", "version": "4.0.0"}"#;

    const GOOGLE: &str = r#"{"context": {"date": "2026-11-29", "num_cpus": 2, "library_build_type": "release"},
      "benchmarks": [
        {"name": "BM_Hash/64", "family_index": 0, "run_name": "BM_Hash/64", "run_type": "iteration", "repetitions": 3, "repetition_index": 0, "iterations": 100000, "real_time": 1.10e2, "cpu_time": 1.09e2, "time_unit": "ns", "items_per_second": 9.1e6},
        {"name": "BM_Hash/64", "family_index": 0, "run_name": "BM_Hash/64", "run_type": "iteration", "repetitions": 3, "repetition_index": 1, "iterations": 100000, "real_time": 1.12e2, "cpu_time": 1.11e2, "time_unit": "ns", "items_per_second": 8.9e6},
        {"name": "BM_Hash/64", "family_index": 0, "run_name": "BM_Hash/64", "run_type": "iteration", "repetitions": 3, "repetition_index": 2, "iterations": 100000, "real_time": 1.11e2, "cpu_time": 1.10e2, "time_unit": "ns", "items_per_second": 9.0e6},
        {"name": "BM_Hash/64_mean", "family_index": 0, "run_name": "BM_Hash/64", "run_type": "aggregate", "aggregate_name": "mean", "real_time": 1.11e2, "cpu_time": 1.10e2, "time_unit": "ns"},
        {"name": "BM_Parse", "family_index": 1, "run_name": "BM_Parse", "run_type": "iteration", "repetitions": 1, "iterations": 2000, "real_time": 3.5, "cpu_time": 3.4, "time_unit": "us"}]}"#;

    const GO: &str = "goos: linux\ngoarch: amd64\npkg: example.com/x\nBenchmarkEncode-8   \t  500000\t      2410 ns/op\t     512 B/op\t       4 allocs/op\nBenchmarkEncode-8   \t  500000\t      2390 ns/op\t     512 B/op\t       4 allocs/op\nBenchmarkCopy/1KB-8 \t 2000000\t       610 ns/op\t1678.2 MB/s\t       0 B/op\t       0 allocs/op\nPASS\nok  \texample.com/x\t3.2s\n";

    const JMH: &str = r#"[
      {"jmhVersion": "1.37", "benchmark": "org.example.ParseBench.parseJson", "mode": "thrpt", "threads": 1, "forks": 2,
       "params": {"size": "100"},
       "primaryMetric": {"score": 1523.4, "scoreError": 12.1, "scoreConfidence": [1511.3, 1535.5], "scoreUnit": "ops/ms"}},
      {"jmhVersion": "1.37", "benchmark": "org.example.ParseBench.parseXml", "mode": "avgt",
       "primaryMetric": {"score": 2.5, "scoreError": 0.1, "scoreUnit": "us/op"}}]"#;

    const BMF: &str = r#"{"sort/quick": {"latency": {"value": 88.0, "lower_value": 87.4, "upper_value": 88.6}},
      "net/echo": {"throughput": {"value": 4100.0, "lower_value": 4000.0, "upper_value": 4200.0}},
      "app": {"file-size": {"value": 3145728.0}}}"#;

    const K6_SUMMARY: &str = r#"{"root_group": {"name": "", "path": "", "id": "d41d8cd98f00b204e9800998ecf8427e", "groups": [], "checks": []},
      "options": {"summaryTrendStats": ["avg","min","med","max","p(90)","p(95)"], "summaryTimeUnit": "", "noColor": false},
      "state": {"isStdOutTTY": false, "isStdErrTTY": false, "testRunDurationMs": 10012.3},
      "metrics": {
        "http_req_duration": {"type": "trend", "contains": "time", "values": {"avg": 12.3, "min": 4.1, "med": 11.0, "max": 80.2, "p(90)": 18.9, "p(95)": 22.4}},
        "http_reqs": {"type": "counter", "contains": "default", "values": {"count": 4012, "rate": 400.7}},
        "http_req_failed": {"type": "rate", "contains": "default", "values": {"rate": 0.005, "passes": 20, "fails": 3992}},
        "iteration_duration": {"type": "trend", "contains": "time", "values": {"avg": 13.0, "med": 11.9}}}}"#;

    #[test]
    fn pytest_benchmark_in_nanoseconds_with_rounds_as_evidence() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "bench.json", PYTEST);
        assert_eq!(Source::detect(&f), Some(Source::PytestBenchmark));
        let (m, c) = metrics(Source::PytestBenchmark, &f);
        assert!(
            (m["test_sort_1000_mean_ns"] - 120_000.0).abs() < 1e-6,
            "{m:?}"
        );
        assert!((m["test_sort_1000_ops_per_sec"] - 8333.3).abs() < 1e-9);
        let lo = c.unwrap()["test_sort_1000_mean_ns"];
        assert!(lo < 120_000.0 && lo > 118_000.0, "{lo}");
    }

    #[test]
    fn google_benchmark_repetitions_and_units() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "gb.json", GOOGLE);
        assert_eq!(Source::detect(&f), Some(Source::GoogleBenchmark));
        let (m, c) = metrics(Source::GoogleBenchmark, &f);
        assert!((m["bm_hash_64_real_time_ns"] - 111.0).abs() < 1e-9, "{m:?}");
        assert!(
            (m["bm_parse_real_time_ns"] - 3500.0).abs() < 1e-9,
            "us become ns"
        );
        assert!(m.contains_key("bm_hash_64_items_per_sec"));
        assert!(c.unwrap()["bm_hash_64_real_time_ns"] < 111.0);
    }

    #[test]
    fn go_bench_text_with_benchmem_and_count() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "go.txt", GO);
        assert_eq!(Source::detect(&f), Some(Source::GoBench));
        let (m, _) = metrics(Source::GoBench, &f);
        assert!(
            (m["encode_time_ns"] - 2400.0).abs() < 1e-9,
            "two -count runs averaged: {m:?}"
        );
        assert_eq!(m["encode_mem_bytes"], 512.0);
        assert_eq!(m["encode_allocs"], 4.0);
        assert_eq!(m["copy_1kb_mb_per_sec"], 1678.2);
        assert_eq!(
            crate::metrics::Direction::of("go_bench.copy_1kb_mb_per_sec"),
            crate::metrics::Direction::Higher
        );
    }

    #[test]
    fn jmh_throughput_and_average_time() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "jmh.json", JMH);
        assert_eq!(Source::detect(&f), Some(Source::Jmh));
        let (m, c) = metrics(Source::Jmh, &f);
        assert!(
            (m["parsebench_parsejson_size_100_ops_per_sec"] - 1_523_400.0).abs() < 1e-6,
            "{m:?}"
        );
        assert!((m["parsebench_parsexml_time_ns"] - 2500.0).abs() < 1e-9);
        let c = c.unwrap();
        assert!(
            c["parsebench_parsejson_size_100_ops_per_sec"] > 1_523_400.0,
            "a rate's conservative end is its upper bound"
        );
        assert!(c["parsebench_parsexml_time_ns"] < 2500.0);
    }

    #[test]
    fn bencher_metric_format_with_bounds() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "bmf.json", BMF);
        assert_eq!(Source::detect(&f), Some(Source::Bmf));
        let (m, c) = metrics(Source::Bmf, &f);
        assert_eq!(m["sort_quick_latency_ns"], 88.0);
        assert_eq!(m["net_echo_ops_per_sec"], 4100.0);
        assert_eq!(m["app_file_size_bytes"], 3_145_728.0);
        let c = c.unwrap();
        assert_eq!(
            (c["sort_quick_latency_ns"], c["net_echo_ops_per_sec"]),
            (87.4, 4200.0)
        );
    }

    #[test]
    fn k6_end_of_test_summary_nests_values() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "summary.json", K6_SUMMARY);
        assert_eq!(Source::detect(&f), Some(Source::K6));
        let (m, _) = metrics(Source::K6, &f);
        assert_eq!(m["response_time_p95_ms"], 22.4);
        assert_eq!(m["throughput_rps"], 400.7);
        assert!((m["error_rate_pct"] - 0.5).abs() < 1e-9);
        // auto finds the same.
        let (a, _) = metrics(Source::Auto, &f);
        assert_eq!(a, m);
    }

    #[test]
    fn the_wrong_format_names_the_one_the_file_looks_like() {
        let d = tempfile::tempdir().unwrap();
        let f = file(&d, "bench.json", PYTEST);
        let e = load(Source::Jmh, std::slice::from_ref(&f), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bench.json") && e.contains("looks like pytest-benchmark"),
            "{e}"
        );
        let junk = file(&d, "junk.bin", "\u{1}\u{2}");
        let e = load(Source::Auto, &[junk], None).unwrap_err().to_string();
        assert!(
            e.contains("junk.bin") && e.contains("expected one of"),
            "{e}"
        );
    }

    #[test]
    fn a_criterion_folder_brings_every_benchmark() {
        let d = tempfile::tempdir().unwrap();
        let est = |mean: f64| {
            format!(
                r#"{{"mean": {{"confidence_interval": {{"confidence_level": 0.95, "lower_bound": {lo}, "upper_bound": {hi}}}, "point_estimate": {mean}, "standard_error": 1.0}},
                "median": {{"confidence_interval": {{"confidence_level": 0.95, "lower_bound": {lo}, "upper_bound": {hi}}}, "point_estimate": {mean}, "standard_error": 1.0}},
                "std_dev": null, "slope": null, "median_abs_dev": null}}"#,
                lo = mean - 1.0,
                hi = mean + 1.0
            )
        };
        for (b, mean) in [("fib 20", 100.0), ("parse", 2000.0)] {
            let dir = d.path().join("criterion").join(b).join("new");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("estimates.json"), est(mean)).unwrap();
            std::fs::create_dir_all(d.path().join("criterion").join(b).join("report")).unwrap();
        }
        let folder = d.path().join("criterion");
        assert_eq!(Source::detect(&folder), Some(Source::Criterion));
        let (m, _) = metrics(Source::Auto, &folder);
        assert_eq!((m["fib_20_mean_ns"], m["parse_mean_ns"]), (100.0, 2000.0));
    }
}

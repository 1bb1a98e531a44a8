//! JUnit XML: one test case per metric, a failure per regression, so every CI
//! system shows perfgate's verdict as test results.

use super::fmt_num;
use crate::outcome::RunOutcome;

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(o: &RunOutcome) -> String {
    let failures = o.regressions.len();
    let errors = o.scenarios.iter().filter(|s| s.error.is_some()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x += &format!(
        "<testsuites name=\"perfgate\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        o.metrics.len() + errors
    );
    x += &format!(
        "  <testsuite name=\"perfgate run #{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" timestamp=\"{}\">\n",
        o.run_id,
        o.metrics.len() + errors,
        xml_escape(&o.started_at)
    );
    x += &format!(
        "    <properties><property name=\"commit\" value=\"{}\"/><property name=\"branch\" value=\"{}\"/><property name=\"config\" value=\"{}\"/></properties>\n",
        xml_escape(o.commit.as_deref().unwrap_or("")),
        xml_escape(o.branch.as_deref().unwrap_or("")),
        xml_escape(&o.config_fingerprint)
    );
    for s in o.scenarios.iter().filter(|s| s.error.is_some()) {
        x += &format!(
            "    <testcase classname=\"{}\" name=\"{}\"><error message=\"{}\"/></testcase>\n",
            xml_escape(&s.name),
            xml_escape(&s.name),
            xml_escape(s.error.as_deref().unwrap_or(""))
        );
    }
    for m in &o.metrics {
        x += &format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">",
            xml_escape(&m.scenario),
            xml_escape(&m.name)
        );
        if let Some(r) = o.regressions.iter().find(|r| r.metric == m.name) {
            let msg = format!(
                "{} regression: {} {} vs baseline {} ± {} ({}, z {:+.2})",
                r.severity,
                fmt_num(r.value),
                m.unit,
                fmt_num(r.baseline_mean),
                fmt_num(r.baseline_std),
                crate::metrics::change_label(r.change_pct),
                r.z_score
            );
            x += &format!(
                "<failure type=\"{}\" message=\"{}\">{}\nrule: {}\ntriage: {}</failure>",
                xml_escape(r.severity.as_str()),
                xml_escape(&msg),
                xml_escape(&msg),
                xml_escape(&r.rule),
                xml_escape(r.triage_state.map(|t| t.as_str()).unwrap_or(""))
            );
        } else {
            x += &format!(
                "<system-out>{} {} ({})</system-out>",
                fmt_num(m.value),
                xml_escape(&m.unit),
                xml_escape(m.verdict.as_str())
            );
        }
        x += "</testcase>\n";
    }
    x += "  </testsuite>\n</testsuites>\n";
    x
}

//! Changes perfgate writes into a config file (`perfgate tune --apply`, report-only):
//! only the `detection_overrides` object is rewritten; every other byte of the file
//! stays as the team wrote it. The new text must load before it replaces the old,
//! and it replaces it atomically (write beside, then rename).

use std::collections::BTreeMap;
use std::path::Path;

use super::{Config, DetectionOverride};
use crate::error::ConfigError;

/// Merge `changes` into the file's `detection_overrides` (a field set in a change
/// replaces that field; the others stay), check the result loads, and write it.
pub fn write_overrides(
    path: &Path,
    changes: &BTreeMap<String, DetectionOverride>,
) -> Result<Config, ConfigError> {
    let file = path.display().to_string();
    let fail = |message: String| ConfigError {
        file: file.clone(),
        field: Some("detection_overrides".into()),
        position: None,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot be read ({e}); expected the config file")))?;
    let current = Config::parse(&text, &file)?;
    let mut merged = current.detection_overrides.clone();
    for (key, change) in changes {
        let o = merged.entry(key.clone()).or_default();
        merge(o, change);
    }
    let new_text = splice(&text, &merged)
        .ok_or_else(|| fail("could not be located in the file; expected a JSON object".into()))?;
    let config = Config::parse(&new_text, &file)?;
    let tmp = path.with_extension("json.perfgate-tmp");
    std::fs::write(&tmp, &new_text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            fail(format!("could not be written ({e}); the file is unchanged"))
        })?;
    Ok(config)
}

fn merge(o: &mut DetectionOverride, c: &DetectionOverride) {
    o.z_threshold = c.z_threshold.or(o.z_threshold);
    o.persistence = c.persistence.or(o.persistence);
    o.min_change_pct = c.min_change_pct.or(o.min_change_pct);
    o.percent_path = c.percent_path.or(o.percent_path);
    o.report_only = c.report_only.or(o.report_only);
    o.reason = c.reason.clone().or(o.reason.take());
}

/// The text with its `detection_overrides` value replaced (or added as the last key).
fn splice(text: &str, overrides: &BTreeMap<String, DetectionOverride>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Top<'a> {
        #[serde(borrow, default)]
        detection_overrides: Option<&'a serde_json::value::RawValue>,
    }
    let body = serde_json::to_string_pretty(overrides).ok()?;
    // Indented one level, as a key of the top-level object.
    let body = body.replace('\n', "\n  ");
    let top: Top = serde_json::from_str(text).ok()?;
    if let Some(raw) = top.detection_overrides {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let end = start + raw.get().len();
        return Some(format!("{}{body}{}", &text[..start], &text[end..]));
    }
    let close = text.rfind('}')?;
    let before = text[..close].trim_end();
    let sep = if before.ends_with('{') { "" } else { "," };
    Some(format!(
        "{before}{sep}\n  \"detection_overrides\": {body}\n}}{}",
        &text[close + 1..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
  "test_scenarios": [
    {"name": "api", "type": "api", "endpoint": "/health"}
  ],
  "regression_threshold": 25
}
"#;

    fn change(z: f64) -> BTreeMap<String, DetectionOverride> {
        BTreeMap::from([(
            "api.response_time_p95_ms".to_string(),
            DetectionOverride {
                z_threshold: Some(z),
                reason: Some("tuned".into()),
                ..Default::default()
            },
        )])
    }

    #[test]
    fn overrides_are_added_then_merged_and_the_rest_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        std::fs::write(&p, CONFIG).unwrap();
        let c = write_overrides(&p, &change(3.0)).unwrap();
        assert_eq!(
            c.detection_overrides["api.response_time_p95_ms"].z_threshold,
            Some(3.0)
        );
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(r#"{"name": "api", "type": "api", "endpoint": "/health"}"#));
        let mut report_only = change(4.0);
        report_only.values_mut().for_each(|o| {
            o.z_threshold = None;
            o.report_only = Some(true);
        });
        let c = write_overrides(&p, &report_only).unwrap();
        let o = &c.detection_overrides["api.response_time_p95_ms"];
        assert_eq!((o.z_threshold, o.report_only), (Some(3.0), Some(true)));
        assert_eq!(c.regression_threshold, 25.0);
    }

    #[test]
    fn an_override_for_an_unknown_metric_leaves_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.json");
        std::fs::write(&p, CONFIG).unwrap();
        let bad = BTreeMap::from([(
            "api.response_time_p59_ms".to_string(),
            DetectionOverride::default(),
        )]);
        let e = write_overrides(&p, &bad).unwrap_err();
        assert!(e.to_string().contains("did you mean"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), CONFIG);
    }
}

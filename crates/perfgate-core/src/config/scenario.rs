//! One entry of `test_scenarios`: a tagged enum on `type`, so serde picks the kind's
//! keys, rejects the keys of other kinds and requires each kind's own.
//!
//! serde buffers an internally tagged map to find its tag, which drops serde_json's
//! positions; [`locate`] parses the failing entry again as its own kind, straight from
//! the file's text, to recover the field and the line/column of the error.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One entry of `test_scenarios`, by its `type`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ScenarioConfig {
    /// HTTP load (`"type": "api"`).
    Api(ApiScenario),
    /// System resources (`"type": "system"`).
    System(SystemScenario),
    /// Database queries (`"type": "database"`).
    Database(DatabaseScenario),
    /// Results ingested from another tool: made by `perfgate ingest`, never read
    /// from a config file.
    #[serde(skip_deserializing)]
    Ingested(IngestedScenario),
}

/// An HTTP load scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ApiScenario {
    /// Names the scenario and prefixes its metrics.
    pub name: String,
    /// Path under `base_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// HTTP method (GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Closed-loop workers (default: the config's `concurrent_users`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent_users: Option<u32>,
    /// Request headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    /// A string is sent as is; any other JSON value is sent as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Per-request timeout, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Seconds at the start excluded from the metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<f64>,
    /// Seconds the scenario runs (default `test_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Open loop: target requests per second (latency measured from intended send times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// Open loop: how requests arrive (default constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<Arrival>,
    /// Open loop: seconds over which the rate ramps up linearly from 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp_up: Option<f64>,
    /// Upper bound on requests in flight (connections).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_in_flight: Option<u32>,
    /// Speak HTTP/2 (ALPN h2 over TLS, prior knowledge over cleartext).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http2: Option<bool>,
    /// Accept any TLS certificate (self-signed test targets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_insecure: Option<bool>,
    /// Load threads, each driving its share of the connections (default: the cores
    /// this process may use).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<u32>,
}

/// Open-loop arrivals.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Arrival {
    /// Evenly spaced sends.
    #[default]
    Constant,
    /// Exponential gaps (a Poisson process), as independent users arrive.
    Poisson,
}

/// A system resource sampling scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SystemScenario {
    /// Names the scenario and prefixes its metrics.
    pub name: String,
    /// Seconds the scenario runs (default `test_duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// Which metrics to sample (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<String>>,
    /// Milliseconds between samples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    /// A process (name or pid) whose own CPU and memory are sampled too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessRef>,
    /// Sample while this other scenario runs, instead of on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub during: Option<String>,
}

/// A database query scenario.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct DatabaseScenario {
    /// Names the scenario and prefixes its metrics.
    pub name: String,
    /// The query.
    pub query: String,
    /// The database URL (`${VAR}` expanded).
    pub connection_string: String,
    /// Times the query runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u64>,
    /// Per-query timeout, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
    /// Keep the writes of each iteration (default: every iteration is rolled back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<bool>,
    /// Parallel connections sharing the iterations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}

/// Results another tool measured (`perfgate ingest`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct IngestedScenario {
    /// Names the scenario and prefixes its metrics.
    pub name: String,
}

/// A process by pid (a number) or by name (a string).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ProcessRef {
    /// A process id.
    Pid(u32),
    /// Every process with this name.
    Name(String),
}

impl std::fmt::Display for ProcessRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessRef::Pid(p) => write!(f, "{p}"),
            ProcessRef::Name(n) => write!(f, "{n}"),
        }
    }
}

/// The kind of a scenario.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ScenarioType {
    /// HTTP load.
    #[default]
    Api,
    /// System resources.
    System,
    /// Database queries.
    Database,
    /// Results ingested from another tool (never in a config file).
    Ingested,
}

impl ScenarioType {
    /// Every kind, in config order.
    pub const ALL: [ScenarioType; 4] = [
        ScenarioType::Api,
        ScenarioType::System,
        ScenarioType::Database,
        ScenarioType::Ingested,
    ];

    /// The name used in config files and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioType::Api => "api",
            ScenarioType::System => "system",
            ScenarioType::Database => "database",
            ScenarioType::Ingested => "ingested",
        }
    }

    /// The kind named `s` (as stored).
    pub fn parse(s: &str) -> Option<ScenarioType> {
        ScenarioType::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for ScenarioType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl ScenarioConfig {
    /// The scenario's name (the prefix of its metrics).
    pub fn name(&self) -> &str {
        match self {
            ScenarioConfig::Api(s) => &s.name,
            ScenarioConfig::System(s) => &s.name,
            ScenarioConfig::Database(s) => &s.name,
            ScenarioConfig::Ingested(s) => &s.name,
        }
    }

    /// Which kind of scenario this is.
    pub fn kind(&self) -> ScenarioType {
        match self {
            ScenarioConfig::Api(_) => ScenarioType::Api,
            ScenarioConfig::System(_) => ScenarioType::System,
            ScenarioConfig::Database(_) => ScenarioType::Database,
            ScenarioConfig::Ingested(_) => ScenarioType::Ingested,
        }
    }

    /// The scenario's own `duration`, for the kinds that run for a time.
    pub fn duration(&self) -> Option<f64> {
        match self {
            ScenarioConfig::Api(s) => s.duration,
            ScenarioConfig::System(s) => s.duration,
            ScenarioConfig::Database(_) | ScenarioConfig::Ingested(_) => None,
        }
    }

    /// Run for `secs` seconds; database and ingested scenarios have no duration to set.
    pub fn set_duration(&mut self, secs: f64) {
        match self {
            ScenarioConfig::Api(s) => s.duration = Some(secs),
            ScenarioConfig::System(s) => s.duration = Some(secs),
            ScenarioConfig::Database(_) | ScenarioConfig::Ingested(_) => {}
        }
    }

    /// The scenario this system scenario samples alongside, if any.
    pub fn during(&self) -> Option<&str> {
        match self {
            ScenarioConfig::System(s) => s.during.as_deref(),
            _ => None,
        }
    }

    /// A scenario of `kind` with nothing but its name (merged shards, ingested results).
    pub fn named(kind: ScenarioType, name: String) -> ScenarioConfig {
        match kind {
            ScenarioType::Api => ScenarioConfig::Api(ApiScenario {
                name,
                ..Default::default()
            }),
            ScenarioType::System => ScenarioConfig::System(SystemScenario {
                name,
                ..Default::default()
            }),
            ScenarioType::Database => ScenarioConfig::Database(DatabaseScenario {
                name,
                ..Default::default()
            }),
            ScenarioType::Ingested => ScenarioConfig::Ingested(IngestedScenario { name }),
        }
    }
}

/// (field path within the entry, line/column in the file, serde's error)
pub(super) type Located = (String, Option<(usize, usize)>, serde_json::Error);

/// Where a failing `test_scenarios[index]` went wrong: (field path, line/column,
/// message), found by parsing that entry again as its own kind from the file's text.
pub(super) fn locate(text: &str, index: usize) -> Option<Located> {
    #[derive(Deserialize)]
    struct Entries<'a> {
        #[serde(borrow, default)]
        test_scenarios: Vec<&'a serde_json::value::RawValue>,
    }
    #[derive(Deserialize)]
    struct Tag {
        #[serde(rename = "type")]
        kind: Option<serde_json::Value>,
    }
    let entries: Entries = serde_json::from_str(text).ok()?;
    let raw = entries.test_scenarios.get(index)?.get();
    let offset = raw.as_ptr() as usize - text.as_ptr() as usize;
    let at = |line: usize, column: usize| {
        // serde_json counts from the entry's first character; make it the file's.
        let before = &text[..offset];
        let base_line = before.matches('\n').count() + 1;
        let base_col = offset - before.rfind('\n').map_or(0, |i| i + 1);
        if line == 1 {
            (base_line, base_col + column)
        } else {
            (base_line + line - 1, column)
        }
    };
    let tag: Tag = serde_json::from_str(raw).ok()?;
    let mut de = serde_json::Deserializer::from_str(raw);
    let kind = tag.kind.as_ref().and_then(|v| v.as_str());
    let (path, e) = match kind.and_then(ScenarioType::parse) {
        Some(ScenarioType::Api) => reparse::<ApiScenario>(&mut de)?,
        Some(ScenarioType::System) => reparse::<SystemScenario>(&mut de)?,
        Some(ScenarioType::Database) => reparse::<DatabaseScenario>(&mut de)?,
        // No tag, a tag of the wrong type or an unknown kind: the tagged parse's
        // message stands; point at the `type` key, else at the entry.
        _ => {
            let e: serde_json::Error = serde_json::from_str::<ScenarioConfig>(raw).err()?;
            let key = raw.find("\"type\"");
            let (line, col) = match key {
                Some(k) => line_col(raw, k),
                None => (1, 1),
            };
            let field = if key.is_some() { "type" } else { "" };
            return Some((field.to_string(), Some(at(line, col)), e));
        }
    };
    let pos = (e.line() > 0).then(|| at(e.line(), e.column()));
    Some((path, pos, e))
}

/// Parse an entry as one kind, keeping the path to the failing field.
fn reparse<'de, T: Deserialize<'de>>(
    de: &mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
) -> Option<(String, serde_json::Error)> {
    // The `type` key is not a field of the kind's struct: skip it as serde's tagged
    // parse does, by parsing through a map that drops it.
    match serde_path_to_error::deserialize::<_, Untagged<T>>(de) {
        Ok(_) => None,
        Err(e) => {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            Some((path, e.into_inner()))
        }
    }
}

/// `T` read from a map whose `type` entry is skipped.
struct Untagged<T>(#[allow(dead_code)] T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Untagged<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(SkipType(d)).map(Untagged)
    }
}

/// A deserializer whose maps hide their `type` key.
struct SkipType<D>(D);

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for SkipType<D> {
    type Error = D::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(SkipTypeVisitor(v))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, SkipTypeVisitor(v))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

struct SkipTypeVisitor<V>(V);

impl<'de, V: serde::de::Visitor<'de>> serde::de::Visitor<'de> for SkipTypeVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(SkipTypeMap(map))
    }
}

struct SkipTypeMap<A>(A);

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for SkipTypeMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let key: Option<String> = self.0.next_key()?;
            match key.as_deref() {
                Some("type") => {
                    self.0.next_value::<serde::de::IgnoredAny>()?;
                }
                Some(k) => {
                    use serde::de::IntoDeserializer;
                    let d: serde::de::value::StrDeserializer<A::Error> = k.into_deserializer();
                    return seed.deserialize(d).map(Some);
                }
                None => return Ok(None),
            }
        }
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}

fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let col = byte - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// "is not a key of a system scenario; ..." when `key`, unknown to the kind of
/// `test_scenarios[index]`, belongs to another kind.
pub(super) fn other_kinds_key(text: &str, index: usize, key: &str) -> Option<String> {
    let entry: serde_json::Value = serde_json::from_str(text).ok()?;
    let kind = entry
        .get("test_scenarios")?
        .get(index)?
        .get("type")?
        .as_str()?;
    let kind = ScenarioType::parse(kind)?;
    let own = fields_of(kind);
    let elsewhere = ScenarioType::ALL
        .iter()
        .any(|k| *k != kind && fields_of(*k).contains(&key));
    (elsewhere && !own.contains(&key)).then(|| {
        format!(
            "is not a key of a{} {kind} scenario; expected one of: {}",
            if kind == ScenarioType::Api { "n" } else { "" },
            own.join(", ")
        )
    })
}

/// The keys a kind of scenario takes besides `type`, as serde knows them.
pub fn fields_of(kind: ScenarioType) -> &'static [&'static str] {
    match kind {
        ScenarioType::Api => struct_fields::<ApiScenario>(),
        ScenarioType::System => struct_fields::<SystemScenario>(),
        ScenarioType::Database => struct_fields::<DatabaseScenario>(),
        ScenarioType::Ingested => struct_fields::<IngestedScenario>(),
    }
}

/// A derived struct's field names: its Deserialize impl hands them to
/// `deserialize_struct`, where this deserializer catches them.
fn struct_fields<T: serde::de::DeserializeOwned>() -> &'static [&'static str] {
    struct Catch<'a>(&'a mut &'static [&'static str]);
    impl<'de> serde::Deserializer<'de> for Catch<'_> {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(
            self,
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("fields only"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(serde::de::Error::custom("fields only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Catch(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn each_kind_round_trips_through_its_tag() {
        let text = r#"{"test_scenarios": [
            {"type": "api", "name": "a", "endpoint": "/x", "arrival": "poisson", "rate": 5},
            {"type": "system", "name": "s", "during": "a", "process": 1},
            {"type": "database", "name": "d", "query": "select 1", "connection_string": "sqlite://x"}
        ]}"#;
        let c = Config::parse(text, "t.json").unwrap();
        let kinds: Vec<_> = c.test_scenarios.iter().map(|s| s.kind()).collect();
        assert_eq!(
            kinds,
            [
                ScenarioType::Api,
                ScenarioType::System,
                ScenarioType::Database
            ]
        );
        assert!(
            matches!(&c.test_scenarios[0], ScenarioConfig::Api(a) if a.arrival == Some(Arrival::Poisson))
        );
        assert_eq!(c.test_scenarios[1].during(), Some("a"));
        let again = serde_json::to_string(&c).unwrap();
        assert_eq!(Config::parse(&again, "again.json").unwrap(), c);
    }

    #[test]
    fn ingested_is_never_read_from_a_config() {
        let e = Config::parse(
            r#"{"test_scenarios": [{"type": "ingested", "name": "x"}]}"#,
            "t.json",
        )
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("test_scenarios[0].type"));
        assert!(e.message.contains("unknown value `ingested`"), "{e}");
    }

    #[test]
    fn fields_are_the_ones_serde_reads() {
        assert!(fields_of(ScenarioType::Api).contains(&"endpoint"));
        assert!(!fields_of(ScenarioType::System).contains(&"endpoint"));
        assert!(fields_of(ScenarioType::Database).contains(&"connection_string"));
        assert_eq!(fields_of(ScenarioType::Ingested), ["name"]);
        for k in ScenarioType::ALL {
            assert_eq!(ScenarioType::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn an_error_deep_in_a_later_entry_keeps_its_position() {
        let text = "{\n \"test_scenarios\": [\n  {\"type\": \"api\", \"name\": \"a\"},\n  {\"name\": \"b\",\n   \"type\": \"api\", \"headers\": {\"x\": 3}}\n ]\n}";
        let e = Config::parse(text, "t.json").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("test_scenarios[1].headers.x"));
        assert_eq!(e.position.map(|p| p.0), Some(5), "{e}");
    }
}

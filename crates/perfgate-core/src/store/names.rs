//! The domain's enums as stored text, for both backends: written with their one
//! display, read back with their one parse. A name this perfgate does not know (a
//! store written by a newer version) is an error, never a silent default.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef, Postgres};

use crate::config::ScenarioType;
use crate::model::{
    AlertKind, BaselineAction, DetectionRule, MetricVerdict, RunMode, RunStatus, ScenarioStatus,
    Severity, TriageState, Verdict,
};

fn unknown(text: &str) -> String {
    format!("unknown name {text:?} (written by a newer perfgate?)")
}

macro_rules! stored_as_text {
    ($($t:ty),+) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $t {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = v.as_str()?;
                <$t>::parse(text).ok_or_else(|| FromSqlError::Other(unknown(text).into()))
            }
        }

        impl sqlx::Type<Postgres> for $t {
            fn type_info() -> PgTypeInfo {
                <&str as sqlx::Type<Postgres>>::type_info()
            }
            fn compatible(ty: &PgTypeInfo) -> bool {
                <&str as sqlx::Type<Postgres>>::compatible(ty)
            }
        }

        impl sqlx::Encode<'_, Postgres> for $t {
            fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <&str as sqlx::Encode<'_, Postgres>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, Postgres> for $t {
            fn decode(v: PgValueRef<'r>) -> Result<Self, BoxDynError> {
                let text = <&str as sqlx::Decode<'r, Postgres>>::decode(v)?;
                <$t>::parse(text).ok_or_else(|| unknown(text).into())
            }
        }
    )+};
}

stored_as_text!(
    AlertKind,
    BaselineAction,
    DetectionRule,
    MetricVerdict,
    RunMode,
    RunStatus,
    ScenarioStatus,
    ScenarioType,
    Severity,
    TriageState,
    Verdict
);

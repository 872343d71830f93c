//! Plain property-list values to JSON, as ferret writes them in results.

use base64::Engine as _;
use plist::Value;
use serde_json::{Map, Value as Json};

/// Deepest nesting converted; deeper values become `null` (parse_plist already bounds depth).
const MAX_JSON_DEPTH: usize = crate::MAX_DEPTH;

/// Converts a plist value to JSON: data → base64 string, dates → `YYYY-MM-DD HH:MM:SS.ffffff`
/// (UTC), UIDs → `{"$uid": n}`, non-finite reals → `null`.
pub fn plist_to_json(v: &Value) -> Json {
    convert(v, 0)
}

fn convert(v: &Value, depth: usize) -> Json {
    if depth > MAX_JSON_DEPTH {
        return Json::Null;
    }
    match v {
        Value::Array(a) => Json::Array(a.iter().map(|x| convert(x, depth + 1)).collect()),
        Value::Dictionary(d) => {
            let mut m = Map::new();
            for (k, x) in d {
                m.insert(k.clone(), convert(x, depth + 1));
            }
            Json::Object(m)
        }
        Value::Boolean(b) => Json::Bool(*b),
        Value::Data(d) => Json::String(base64::engine::general_purpose::STANDARD.encode(d)),
        Value::Date(d) => plist_date_text(*d).map_or(Json::Null, Json::String),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
        Value::Integer(i) => match (i.as_signed(), i.as_unsigned()) {
            (Some(s), _) => Json::from(s),
            (None, Some(u)) => Json::from(u),
            _ => Json::Null,
        },
        Value::String(s) => Json::String(s.clone()),
        Value::Uid(u) => {
            let mut m = Map::new();
            m.insert("$uid".into(), Json::from(u.get()));
            Json::Object(m)
        }
        _ => Json::Null,
    }
}

/// A plist date as a UTC timestamp.
pub fn plist_date(d: plist::Date) -> Option<jiff::Timestamp> {
    let st: std::time::SystemTime = d.into();
    jiff::Timestamp::try_from(st).ok()
}

fn plist_date_text(d: plist::Date) -> Option<String> {
    plist_date(d).map(|t| t.strftime("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts() {
        let mut d = plist::Dictionary::new();
        d.insert("b".into(), Value::Data(vec![0xff, 0]));
        d.insert("t".into(), Value::Date(std::time::UNIX_EPOCH.into()));
        d.insert("n".into(), Value::Real(f64::NAN));
        let j = plist_to_json(&Value::Dictionary(d));
        assert_eq!(j, serde_json::json!({"b": "/wA=", "t": "1970-01-01 00:00:00.000000", "n": null}));
    }
}

//! Field decoders that accept what the service really sends.
//!
//! Every field of the types that answers and webhooks reach is read with
//! one of these (whapi-gen adds them), and so can a type of yours for what
//! the spec does not describe. Each one takes any JSON value and never fails
//! on its shape: a value of another type than expected is converted when
//! that is unambiguous (`"42"` → 42, `1` → `true`, `42` → `"42"`) and
//! otherwise read as absent. They are used with `#[serde(default,
//! deserialize_with = "…")]` on `Option` and `Vec` fields (this crate's own
//! records call them from the `Deserialize` whapi-gen writes for each).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// Consumes whatever a sequence or map holds.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the visitor methods every lenient scalar shares: nulls are
/// absent, lists and objects are skipped and absent.
macro_rules! absent_for_containers {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            skip_seq(seq).map(|_| None)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            skip_map(map).map(|_| None)
        }
    };
}

struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    absent_for_containers!();
}

/// A string; numbers and booleans are written as text.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(StringVisitor)
}

/// Clamps a float into `i64`, truncating; NaN is absent.
fn float_to_int(v: f64) -> Option<i64> {
    if v.is_nan() {
        None
    } else if v >= i64::MAX as f64 {
        Some(i64::MAX)
    } else if v <= i64::MIN as f64 {
        Some(i64::MIN)
    } else {
        Some(v as i64)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// An integer type a lenient field can hold: values beyond it are clamped
/// to its bounds.
pub trait Integer: sealed::Sealed + Sized {
    /// `value`, clamped into this type.
    fn clamped(value: i64) -> Self;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}

        impl Integer for $t {
            fn clamped(value: i64) -> Self {
                <$t>::try_from(value).unwrap_or(if value < 0 { <$t>::MIN } else { <$t>::MAX })
            }
        }
    )*};
}
integers!(i64, i32, u64, u32);

struct IntVisitor<T>(PhantomData<T>);

impl<'de, T: Integer> Visitor<'de> for IntVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(T::clamped(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(T::clamped(i64::try_from(v).unwrap_or(i64::MAX))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(float_to_int(v).map(T::clamped))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        Ok(v.parse::<i64>()
            .ok()
            .or_else(|| v.parse::<f64>().ok().and_then(float_to_int))
            .map(T::clamped))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    absent_for_containers!();
}

/// An integer: floats are truncated, numbers beyond the type clamped to its
/// bounds (`mute_until: 18446744073709552000` reads as `i64::MAX`), numeric
/// strings parsed.
pub fn int<'de, D: Deserializer<'de>, T: Integer>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(IntVisitor(PhantomData))
}

struct FloatVisitor;

impl<'de> Visitor<'de> for FloatVisitor {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim().parse::<f64>().ok().filter(|f| f.is_finite()))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    absent_for_containers!();
}

/// A number; numeric strings are parsed.
pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(FloatVisitor)
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v != 0.0))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        })
    }
    absent_for_containers!();
}

/// A boolean; `0`/`1` and `"true"`/`"false"` count.
pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// An object read as `T` (whose fields are lenient themselves); anything
/// else is absent. For a struct `T` this is [`value`].
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    value(d)
}

/// A list of objects, each read as `T`: elements that are not objects are
/// dropped, a lone object is a list of one. For a struct `T` this is
/// [`values`].
pub fn objects<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    values(d)
}

/// Reads any value as `T` when it is one: a scalar `T` refuses (a status
/// this version does not know, text where an object belongs) is absent, and
/// a number is tried as text too (an id sent as a number).
struct ValueSeed<T>(PhantomData<T>);

impl<T> ValueSeed<T> {
    fn from_scalar<'de, S, E>(scalar: S, text: impl FnOnce() -> String) -> Result<Option<T>, E>
    where
        T: Deserialize<'de>,
        S: de::IntoDeserializer<'de, de::value::Error>,
        E: de::Error,
    {
        Ok(T::deserialize(scalar.into_deserializer())
            .or_else(|_| {
                T::deserialize(de::value::StringDeserializer::<de::value::Error>::new(
                    text(),
                ))
            })
            .ok())
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for ValueSeed<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|_| None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(T::deserialize(de::value::StrDeserializer::<de::value::Error>::new(v)).ok())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Self::from_scalar(v, || v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Self::from_scalar(v, || v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Self::from_scalar(v, || v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Self::from_scalar(v, || v.to_string())
    }
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for ValueSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Any value read as `T` (an object whose fields are lenient, an id, a
/// known word); what `T` refuses is absent.
pub fn value<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    d.deserialize_any(ValueSeed(PhantomData))
}

/// A list read as `T`s: elements `T` refuses are dropped, a lone value is a
/// list of one, anything else an empty list.
struct ValuesVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ValuesVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(ValueSeed::<T>(PhantomData))? {
            out.extend(item);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        Ok(ValueSeed::<T>(PhantomData)
            .visit_map(map)?
            .into_iter()
            .collect())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        ValueSeed::<T>(PhantomData)
            .visit_str(v)
            .map(|v| v.into_iter().collect())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        ValueSeed::<T>(PhantomData)
            .visit_i64(v)
            .map(|v| v.into_iter().collect())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        ValueSeed::<T>(PhantomData)
            .visit_u64(v)
            .map(|v| v.into_iter().collect())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        ValueSeed::<T>(PhantomData)
            .visit_f64(v)
            .map(|v| v.into_iter().collect())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        ValueSeed::<T>(PhantomData)
            .visit_bool(v)
            .map(|v| v.into_iter().collect())
    }
}

/// A list of values, each read as with [`value`].
pub fn values<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    d.deserialize_any(ValuesVisitor(PhantomData))
}

/// Text read as `T` (an id, a word of an open set, a string newtype):
/// numbers and booleans are written as text, and what is no text or what
/// `T` refuses is absent; an object never fails the item that holds it.
pub fn text<'de, D: Deserializer<'de>, T: de::DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Ok(string(d)?.and_then(from_text))
}

/// A list of texts, each read as with [`text`]; elements that are not
/// text are dropped, a lone text is a list of one.
pub fn texts<'de, D: Deserializer<'de>, T: de::DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(strings(d)?.into_iter().filter_map(from_text).collect())
}

fn from_text<T: de::DeserializeOwned>(text: String) -> Option<T> {
    T::deserialize(de::value::StringDeserializer::<de::value::Error>::new(text)).ok()
}

/// Reads an object's entries as `V`s: entries whose value `V` refuses (a
/// `null` header) are dropped, anything but an object is empty.
struct MapVisitor<M>(PhantomData<M>);

impl<'de, V: de::DeserializeOwned, S: std::hash::BuildHasher + Default> Visitor<'de>
    for MapVisitor<std::collections::HashMap<String, V, S>>
{
    type Value = std::collections::HashMap<String, V, S>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Self::Value::default();
        // Each value is taken whole first: whatever `V` is, one it refuses
        // is dropped without failing the rest (maps are small: headers, ids).
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<serde_json::Value>()?;
            if let Ok(value) = V::deserialize(value) {
                out.insert(key, value);
            }
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        skip_seq(seq).map(|_| Self::Value::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Self::Value::default())
    }
}

/// An object of text keys: values `V` refuses are dropped.
pub fn map<'de, D, V, S>(d: D) -> Result<std::collections::HashMap<String, V, S>, D::Error>
where
    D: Deserializer<'de>,
    V: de::DeserializeOwned,
    S: std::hash::BuildHasher + Default,
{
    d.deserialize_any(MapVisitor(PhantomData))
}

/// A JSON object kept whole; anything else is an empty one.
pub fn json_object<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    })
}

/// A type that reads any JSON leniently itself (a newtype around a list
/// whose items are read with [`values`]); `null` is absent.
pub fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// Reads a list of scalars as strings (ids); other elements are dropped.
struct StringsVisitor;

impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(StringSeed)? {
            out.extend(item);
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_owned()])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        skip_map(map).map(|_| Vec::new())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(vec![v.to_string()])
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

struct StringSeed;

impl<'de> DeserializeSeed<'de> for StringSeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

/// A list of strings (ids); numbers are written as text, other elements
/// dropped, a lone string is a list of one.
pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(StringsVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "string")]
        s: Option<String>,
        #[serde(deserialize_with = "int")]
        i: Option<i64>,
        #[serde(deserialize_with = "float")]
        f: Option<f64>,
        #[serde(deserialize_with = "bool")]
        b: Option<bool>,
        #[serde(deserialize_with = "object")]
        o: Option<Inner>,
        #[serde(deserialize_with = "objects")]
        v: Vec<Inner>,
        #[serde(deserialize_with = "strings")]
        ids: Vec<String>,
    }

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Inner {
        #[serde(deserialize_with = "int")]
        n: Option<i64>,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn reads_the_expected_types() {
        let p = probe(
            r#"{"s":"x","i":5,"f":1.5,"b":true,"o":{"n":1},"v":[{"n":2}],"ids":["a","b"],"extra":[1]}"#,
        );
        assert_eq!(
            p,
            Probe {
                s: Some("x".into()),
                i: Some(5),
                f: Some(1.5),
                b: Some(true),
                o: Some(Inner { n: Some(1) }),
                v: vec![Inner { n: Some(2) }],
                ids: vec!["a".into(), "b".into()]
            }
        );
    }

    #[test]
    fn converts_unambiguous_mismatches() {
        let p = probe(r#"{"s":42,"i":"17","f":"2.5","b":1,"ids":[7,"x"]}"#);
        assert_eq!(
            (p.s.as_deref(), p.i, p.f, p.b),
            (Some("42"), Some(17), Some(2.5), Some(true))
        );
        assert_eq!(p.ids, ["7", "x"]);
    }

    #[derive(Deserialize, Debug, Default, PartialEq)]
    #[serde(default)]
    struct Words {
        #[serde(deserialize_with = "text")]
        one: Option<Word>,
        #[serde(deserialize_with = "texts")]
        many: Vec<Word>,
        #[serde(deserialize_with = "map")]
        headers: std::collections::HashMap<String, String>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Word {
        Yes,
        No,
    }

    #[test]
    fn texts_and_maps_never_fail_the_item() {
        let read: Words = serde_json::from_str(
            r#"{"one":{"a":1},"many":["yes",{"b":2},"maybe","no",7],"headers":{"x":"1","y":null,"z":{}}}"#,
        )
        .unwrap();
        assert_eq!(read.one, None, "an object where text belongs is absent");
        assert_eq!(read.many, [Word::Yes, Word::No]);
        assert_eq!(read.headers.len(), 1);
        let read: Words =
            serde_json::from_str(r#"{"one":"no","headers":null,"many":"yes"}"#).unwrap();
        assert_eq!(
            (read.one, read.many, read.headers.len()),
            (Some(Word::No), vec![Word::Yes], 0)
        );
    }

    #[test]
    fn numbers_out_of_range_are_clamped() {
        assert_eq!(probe(r#"{"i":18446744073709552000}"#).i, Some(i64::MAX));
        assert_eq!(probe(r#"{"i":18446744073709551615}"#).i, Some(i64::MAX));
        assert_eq!(probe(r#"{"i":-1e300}"#).i, Some(i64::MIN));
        assert_eq!(probe(r#"{"i":1700000000.9}"#).i, Some(1_700_000_000));
    }

    #[test]
    fn anything_else_is_absent_and_never_an_error() {
        let p = probe(
            r#"{"s":{"a":[1,{}]},"i":[1,2],"f":true,"b":"maybe","o":"text","v":{"n":3},"ids":{"a":1}}"#,
        );
        assert_eq!((p.s, p.i, p.f, p.b, p.o), (None, None, None, None, None));
        assert_eq!(
            p.v,
            vec![Inner { n: Some(3) }],
            "a lone object counts as a list of one"
        );
        assert!(p.ids.is_empty());
        let p = probe(r#"{"s":null,"v":[1,"x",{"n":4},null]}"#);
        assert_eq!((p.s, p.v), (None, vec![Inner { n: Some(4) }]));
    }
}

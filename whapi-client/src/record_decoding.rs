//! How the answer and event records decode: whapi-gen writes each one's
//! `Deserialize` as a short loop over the object's keys (`visit_map`)
//! that starts from the record's `Default` and reads each known field with
//! its [`lenient`](crate::lenient) decoder, named here by a marker type.
//!
//! Why not serde's derive with `deserialize_with` on each field: the derive
//! writes, per record, a field enum with its own visitor, a sequence
//! visitor, and a wrapper type with a `Deserialize` impl per decoded field;
//! across the client that was half of its macro-expanded code and most of
//! its build time. Here the key lookup ([`FieldIndex`]) and each decoder are
//! written once and shared by every record. What decodes is the same: a
//! field given twice is an error, as with the derive; an unknown key is
//! skipped; a missing one keeps its default.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use crate::lenient;

/// One of the [`lenient`] decoders, for a field of type `T`.
pub(crate) trait Decoder<'de, T> {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<T, D::Error>;
}

/// The markers, one per decoder (`lenient::string` is [`Str`], …), and
/// [`Plain`], the type's own `Deserialize`.
pub(crate) mod by {
    pub(crate) struct Str;
    pub(crate) struct Int;
    pub(crate) struct Float;
    pub(crate) struct Bool;
    pub(crate) struct Value;
    pub(crate) struct Values;
    pub(crate) struct Text;
    pub(crate) struct Texts;
    pub(crate) struct Strings;
    pub(crate) struct List;
    pub(crate) struct Map;
    pub(crate) struct JsonObject;
    /// A field of `serde_json::Value`, which no record holds today.
    #[allow(dead_code)]
    pub(crate) struct Plain;
}

impl<'de> Decoder<'de, Option<String>> for by::Str {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        lenient::string(d)
    }
}

impl<'de, T: lenient::Integer> Decoder<'de, Option<T>> for by::Int {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        lenient::int(d)
    }
}

impl<'de> Decoder<'de, Option<f64>> for by::Float {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        lenient::float(d)
    }
}

impl<'de> Decoder<'de, Option<bool>> for by::Bool {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        lenient::bool(d)
    }
}

impl<'de, T: Deserialize<'de>> Decoder<'de, Option<T>> for by::Value {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        lenient::value(d)
    }
}

impl<'de, T: Deserialize<'de>> Decoder<'de, Vec<T>> for by::Values {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        lenient::values(d)
    }
}

impl<'de, T: de::DeserializeOwned> Decoder<'de, Option<T>> for by::Text {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        lenient::text(d)
    }
}

impl<'de, T: de::DeserializeOwned> Decoder<'de, Vec<T>> for by::Texts {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        lenient::texts(d)
    }
}

impl<'de> Decoder<'de, Vec<String>> for by::Strings {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        lenient::strings(d)
    }
}

impl<'de, T: Deserialize<'de>> Decoder<'de, Option<T>> for by::List {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
        lenient::list(d)
    }
}

impl<'de, V, S> Decoder<'de, std::collections::HashMap<String, V, S>> for by::Map
where
    V: de::DeserializeOwned,
    S: std::hash::BuildHasher + Default,
{
    fn decode<D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::collections::HashMap<String, V, S>, D::Error> {
        lenient::map(d)
    }
}

impl<'de> Decoder<'de, serde_json::Map<String, serde_json::Value>> for by::JsonObject {
    fn decode<D: Deserializer<'de>>(
        d: D,
    ) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
        lenient::json_object(d)
    }
}

impl<'de, T: Deserialize<'de>> Decoder<'de, T> for by::Plain {
    fn decode<D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

struct Seed<T, K>(PhantomData<fn() -> (T, K)>);

impl<'de, T, K: Decoder<'de, T>> DeserializeSeed<'de> for Seed<T, K> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        K::decode(d)
    }
}

/// A record whapi-gen writes the decoding of: its fields' JSON names, and
/// how to read the value of the one at an index.
pub(crate) trait Record: Default {
    /// The record's name, for errors.
    const NAME: &'static str;
    /// Its fields' JSON names, at most 128.
    const FIELDS: &'static [&'static str];
    /// Reads the value of the key just read, which names `FIELDS[index]`.
    fn read<'de, A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error>;
}

/// Reads the value of the key just read into `slot` with the decoder `K`.
pub(crate) fn read<'de, A, T, K>(map: &mut A, slot: &mut T, _decoder: K) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    K: Decoder<'de, T>,
{
    *slot = map.next_value_seed(Seed::<T, K>(PhantomData))?;
    Ok(())
}

/// A record's `Deserialize`.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, R: Record>(d: D) -> Result<R, D::Error> {
    d.deserialize_struct(R::NAME, R::FIELDS, RecordVisitor(PhantomData))
}

struct RecordVisitor<R>(PhantomData<fn() -> R>);

impl<'de, R: Record> Visitor<'de> for RecordVisitor<R> {
    type Value = R;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "struct {}", R::NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<R, A::Error> {
        let mut out = R::default();
        let mut seen = 0u128;
        while let Some(index) = map.next_key_seed(FieldIndex(R::FIELDS))? {
            match index {
                Some(index) if index < 128 => {
                    let bit = 1u128 << index;
                    if seen & bit != 0 {
                        return Err(de::Error::duplicate_field(R::FIELDS[index]));
                    }
                    seen |= bit;
                    out.read(index, &mut map)?;
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// Reads a key as the index of the field it names in a record's list of
/// fields, `None` for a key the record does not know.
pub(crate) struct FieldIndex(pub(crate) &'static [&'static str]);

impl<'de> DeserializeSeed<'de> for FieldIndex {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for FieldIndex {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| *name == key))
    }
    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|name| name.as_bytes() == key))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<usize>, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::types::{Contact, Message};

    #[test]
    fn a_record_reads_known_keys_skips_unknown_ones_and_refuses_a_key_twice() {
        let message: Message = serde_json::from_value(json!({
            "id": "ABCD-1234", "from_me": "true", "unknown": {"deep": [1, 2]},
            "timestamp": "1700000000", "chat_id": 15550100000u64,
        }))
        .unwrap();
        assert_eq!(message.id(), "ABCD-1234");
        assert!(message.from_me());
        assert_eq!(message.chat_id(), "15550100000");
        let twice = serde_json::from_str::<Contact>(r#"{"id": "1555", "name": "a", "id": "2"}"#)
            .unwrap_err();
        assert!(
            twice.to_string().contains("duplicate field `id`"),
            "{twice}"
        );
        let not_an_object = serde_json::from_str::<Contact>("[1, 2]").unwrap_err();
        assert!(
            not_an_object.to_string().contains("struct Contact"),
            "{not_an_object}"
        );
    }
}

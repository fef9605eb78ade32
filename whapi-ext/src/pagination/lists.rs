//! What the answers of the list operations say about the rest of the list,
//! and where a page starts.

use serde::de::DeserializeOwned;
use whapi_client::types;

use super::{Hint, Position};

/// A list response: its items, and what it says about the rest of the list.
#[doc(hidden)]
pub trait ListResponse: DeserializeOwned + Send + 'static {
    /// One item of the list.
    type Item: serde::Serialize + Send + 'static;
    /// Splits the response into its items and its paging hints.
    fn into_page(self) -> (Vec<Self::Item>, Hint);
}

fn count(n: Option<i32>) -> Option<u64> {
    n.and_then(|n| u64::try_from(n).ok())
}

/// A hash of the first item as JSON: two pages starting with the same item
/// have the same fingerprint.
fn fingerprint<T: serde::Serialize>(items: &[T]) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let json = serde_json::to_vec(items.first()?).ok()?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut hasher);
    Some(hasher.finish())
}

/// Implements [`ListResponse`] for a count/offset list: its items field and
/// item type.
macro_rules! offset_list {
    ($($list:ident . $field:ident => $item:ident),* $(,)?) => {$(
        impl ListResponse for types::$list {
            type Item = types::$item;
            fn into_page(self) -> (Vec<Self::Item>, Hint) {
                let items = self.$field.map(|items| items.0).unwrap_or_default();
                let hint = Hint { total: count(self.total), fingerprint: fingerprint(&items), ..Hint::default() };
                (items, hint)
            }
        }
    )*};
}

offset_list! {
    ChatsList.chats => Chat,
    ContactsList.contacts => Contact,
    GroupsList.groups => Group,
    GroupApplicationList.applications => GroupApplication,
    NewslettersList.newsletters => Newsletter,
    MediaFilesList.files => MediaFile,
    ProductsList.products => Product,
    BusinessCollectionList.collections => BusinessCollection,
}

impl ListResponse for types::MessagesList {
    /// Boxed, as the generated client holds every `Message` (about 6.5 KB).
    type Item = Box<types::Message>;
    fn into_page(self) -> (Vec<Self::Item>, Hint) {
        let items = self.messages.map(|items| items.0).unwrap_or_default();
        let hint = Hint {
            total: count(self.total),
            first: count(self.first),
            fingerprint: fingerprint(&items),
            ..Hint::default()
        };
        (items, hint)
    }
}

impl ListResponse for types::NewslettersListPaged {
    type Item = types::Newsletter;
    fn into_page(self) -> (Vec<Self::Item>, Hint) {
        let paging = self.page_info.unwrap_or_default();
        let items = self.newsletters.map(|items| items.0).unwrap_or_default();
        let hint = Hint {
            end_cursor: paging.end_cursor,
            next_page: paging.next_page,
            fingerprint: fingerprint(&items),
            ..Hint::default()
        };
        (items, hint)
    }
}

impl Position {
    /// Where an offset walk's page starts.
    pub(crate) fn offset_value(&self) -> i64 {
        match self {
            Position::Offset(offset) => i64::try_from(*offset).unwrap_or(i64::MAX),
            _ => 0,
        }
    }

    /// The cursor a cursor walk's page starts after (`None` for the first).
    pub(crate) fn cursor_value(&self) -> Option<String> {
        match self {
            Position::Cursor(cursor) => cursor.clone(),
            _ => None,
        }
    }

    /// The index a `before` walk's page ends at (`None` for the newest).
    pub(crate) fn before_value(&self) -> Option<i64> {
        match self {
            Position::Before(before) => before.and_then(|b| i64::try_from(b).ok()),
            _ => None,
        }
    }
}

//! The list operations of the API, each as a [`List`].

use std::num::NonZeroU64;

use serde::de::DeserializeOwned;
use whapi_client::builder;
use whapi_client::types;

use super::{Hint, List, Position};
use crate::ids::{self, IntoId};
use crate::Whapi;

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

/// The offset of an offset walk's position.
fn offset(position: &Position) -> i64 {
    match position {
        Position::Offset(offset) => i64::try_from(*offset).unwrap_or(i64::MAX),
        _ => 0,
    }
}

fn cursor(position: &Position) -> Option<String> {
    match position {
        Position::Cursor(cursor) => cursor.clone(),
        _ => None,
    }
}

fn before(position: &Position) -> Option<i64> {
    match position {
        Position::Before(before) => before.and_then(|b| i64::try_from(b).ok()),
        _ => None,
    }
}

/// Defines a `Whapi` method for a count/offset list operation.
macro_rules! offset_walks {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $id:ident),*) => $op:ident / $builder:ident -> $list:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(&self, $($arg: impl IntoId<ids::$id>),*) -> List<'_, builder::$builder<'_>, types::$list> {
            #[allow(unused_mut)]
            let mut invalid = None;
            $(let $arg: String = match $arg.into_id() {
                Ok(id) => id.into(),
                Err(e) => {
                    invalid = Some(e);
                    String::new()
                }
            };)*
            List::new(self, Position::Offset(0), move |c| c.$op()$(.$arg($arg.clone()))*, |b, p, n: NonZeroU64| {
                Box::pin(b.offset(offset(p)).count(n).send())
            })
            .invalid_when(invalid)
        }
    )*};
}

impl Whapi {
    offset_walks! {
        /// Messages of every chat (`getMessages`).
        messages() => get_messages / GetMessages -> MessagesList;
        /// Messages of one chat (`getMessagesByChatID`).
        messages_in_chat(chat_id: ChatId) => get_messages_by_chat_id / GetMessagesByChatId -> MessagesList;
        /// Chats (`getChats`).
        chats() => get_chats / GetChats -> ChatsList;
        /// Contacts (`getContacts`).
        contacts() => get_contacts / GetContacts -> ContactsList;
        /// Groups (`getGroups`).
        groups() => get_groups / GetGroups -> GroupsList;
        /// Requests to join a group (`getGroupApplicationsList`).
        group_applications(group_id: GroupId) => get_group_applications_list / GetGroupApplicationsList -> GroupApplicationList;
        /// Stories (`getStories`).
        stories() => get_stories / GetStories -> MessagesList;
        /// Newsletters (WhatsApp channels) the channel follows (`getNewsletters`).
        newsletters() => get_newsletters / GetNewsletters -> NewslettersList;
        /// Uploaded media files (`getMediaFiles`).
        media_files() => get_media_files / GetMediaFiles -> MediaFilesList;
        /// The channel's products (`getProducts`).
        products() => get_products / GetProducts -> ProductsList;
        /// A business contact's products (`getContactProducts`).
        contact_products(contact_id: ContactId) => get_contact_products / GetContactProducts -> ProductsList;
        /// Product collections (`getCollectionsList`).
        collections() => get_collections_list / GetCollectionsList -> BusinessCollectionList;
        /// Product collections with their products (`getCollectionsProductsList`).
        collection_products() => get_collections_products_list / GetCollectionsProductsList -> BusinessCollectionList;
        /// Communities (`getCommunities`).
        communities() => get_communities / GetCommunities -> GroupsList;
    }

    /// Newsletters matching a search (`findNewsletter`): set `search`,
    /// `country_code`, … with [`List::filter`]. Cursor-paged.
    pub fn find_newsletters(
        &self,
    ) -> List<'_, builder::FindNewsletter<'_>, types::NewslettersListPaged> {
        List::new(
            self,
            Position::Cursor(None),
            |c| c.find_newsletter(),
            |b, p, n| {
                let b = b.count(n);
                Box::pin(match cursor(p) {
                    Some(cursor) => b.cursor(cursor).send(),
                    None => b.send(),
                })
            },
        )
    }

    /// Recommended newsletters (`recommendedNewsletter`). Cursor-paged.
    pub fn recommended_newsletters(
        &self,
    ) -> List<'_, builder::RecommendedNewsletter<'_>, types::NewslettersListPaged> {
        List::new(
            self,
            Position::Cursor(None),
            |c| c.recommended_newsletter(),
            |b, p, n| {
                let b = b.count(n);
                Box::pin(match cursor(p) {
                    Some(cursor) => b.cursor(cursor).send(),
                    None => b.send(),
                })
            },
        )
    }

    /// A newsletter's messages, newest first, going back with `before`
    /// (`getMessagesNewsletter`).
    pub fn newsletter_messages(
        &self,
        newsletter_id: impl IntoId<ids::NewsletterId>,
    ) -> List<'_, builder::GetMessagesNewsletter<'_>, types::MessagesList> {
        let (id, invalid) = match newsletter_id.into_id() {
            Ok(id) => (String::from(id), None),
            Err(e) => (String::new(), Some(e)),
        };
        List::new(
            self,
            Position::Before(None),
            move |c| c.get_messages_newsletter().newsletter_id(id.clone()),
            |b, p, n| {
                let b = b.count(n);
                Box::pin(match before(p) {
                    Some(before) => b.before(before).send(),
                    None => b.send(),
                })
            },
        )
        .invalid_when(invalid)
    }
}

//! `whapi_ext` list streams against a mock serving generated data sets.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use whapi_ext::Error;
use whapi_tests::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

use crate::whapi;

fn query(request: &Request, key: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

fn query_u64(request: &Request, key: &str) -> Option<u64> {
    query(request, key).and_then(|v| v.parse().ok())
}

/// Serves `total` items under `key`, by offset and count, like the API.
struct OffsetData {
    key: &'static str,
    total: u64,
    /// At most this many items per page, whatever was asked.
    cap: Option<u64>,
    /// From this offset on, the list has shrunk to this many items.
    shrink: Option<(u64, u64)>,
    /// Answer 500 at this offset.
    fail_at: Option<u64>,
}

impl OffsetData {
    fn new(key: &'static str, total: u64) -> Self {
        Self {
            key,
            total,
            cap: None,
            shrink: None,
            fail_at: None,
        }
    }
}

/// The id of the `i`-th chat, group or contact the mock serves.
fn item_id(i: u64) -> String {
    format!("{i:06}@s.whatsapp.net")
}

/// The ids of the first `n` of them, in order.
fn item_ids(n: u64) -> Vec<String> {
    (0..n).map(item_id).collect()
}

fn item(key: &str, i: u64) -> Value {
    match key {
        "messages" => {
            json!({"id": format!("msg-{i:06}"), "type": "text", "chat_id": "1@g.us", "from_me": false, "timestamp": i})
        }
        _ => json!({"id": item_id(i), "name": format!("item {i}")}),
    }
}

impl Respond for OffsetData {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let offset = query_u64(request, "offset").unwrap_or(0);
        let count = query_u64(request, "count").unwrap_or(100);
        if self.fail_at == Some(offset) {
            return ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"code": 500, "message": "boom"}}));
        }
        let total = match self.shrink {
            Some((from, shrunk)) if offset >= from => shrunk,
            _ => self.total,
        };
        let count = self.cap.map_or(count, |cap| count.min(cap));
        let items: Vec<Value> = (offset..total.min(offset + count))
            .map(|i| item(self.key, i))
            .collect();
        ResponseTemplate::new(200).set_body_json(
            json!({self.key: items, "count": count, "offset": offset, "total": total}),
        )
    }
}

async fn serve(route: &str, data: impl Respond + 'static) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(data)
        .mount(&server)
        .await;
    server
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

fn ids<T, F: Fn(&T) -> Option<String>>(items: &[T], id: F) -> Vec<String> {
    items.iter().map(|i| id(i).unwrap_or_default()).collect()
}

#[tokio::test]
async fn every_chat_exactly_once_in_order_for_several_page_sizes() {
    let server = serve("/chats", OffsetData::new("chats", 1_234)).await;
    let wa = whapi(&server);
    let expected = item_ids(1_234);
    for size in [7, 100, 333, 500] {
        let chats: Vec<_> = wa
            .get_chats()
            .list()
            .page_size(size)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            ids(&chats, |c| c.id.as_ref().map(|i| i.to_string())),
            expected,
            "page size {size}"
        );
    }
    let requests = requests(&server).await.len() as u64;
    assert_eq!(
        requests,
        1_234u64.div_ceil(7)
            + 1_234u64.div_ceil(100)
            + 1_234u64.div_ceil(333)
            + 1_234u64.div_ceil(500)
    );
}

#[tokio::test]
async fn every_message_exactly_once_in_order() {
    let server = serve(
        "/messages/list/120363025343298765@g.us",
        OffsetData::new("messages", 10_007),
    )
    .await;
    let wa = whapi(&server);
    let expected: Vec<String> = (0..10_007).map(|i| format!("msg-{i:06}")).collect();
    for size in [100, 500] {
        let messages: Vec<_> = wa
            .get_messages_by_chat_id("120363025343298765@g.us")
            .list()
            .page_size(size)
            .items()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            ids(&messages, |m| m.id.clone().map(String::from)),
            expected,
            "page size {size}"
        );
    }
}

#[tokio::test]
async fn pages_carry_their_position_and_total() {
    let server = serve("/contacts", OffsetData::new("contacts", 250)).await;
    let pages: Vec<_> = whapi(&server)
        .get_contacts()
        .list()
        .pages()
        .try_collect()
        .await
        .unwrap();
    let positions: Vec<_> = pages
        .iter()
        .map(|p| (p.position.clone(), p.items.len(), p.total()))
        .collect();
    use whapi_ext::pagination::Position::Offset;
    assert_eq!(
        positions,
        [
            (Offset(0), 100, Some(250)),
            (Offset(100), 100, Some(250)),
            (Offset(200), 50, Some(250))
        ]
    );
}

#[tokio::test]
async fn a_limit_stops_early_without_fetching_extra_pages() {
    let server = serve("/chats", OffsetData::new("chats", 1_234)).await;

    let chats: Vec<_> = whapi(&server)
        .get_chats()
        .list()
        .page_size(100)
        .limit(250)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(chats.len(), 250);
    let asked: Vec<(u64, u64)> = requests(&server)
        .await
        .iter()
        .map(|r| {
            (
                query_u64(r, "offset").unwrap(),
                query_u64(r, "count").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        [(0, 100), (100, 100), (200, 50)],
        "the last request asks only for what is missing"
    );
}

#[tokio::test]
async fn a_total_that_shrinks_mid_walk_ends_the_walk() {
    let data = OffsetData {
        shrink: Some((300, 350)),
        ..OffsetData::new("groups", 1_000)
    };
    let server = serve("/groups", data).await;

    let groups: Vec<_> = whapi(&server)
        .get_groups()
        .list()
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(groups.len(), 350);
    assert_eq!(
        ids(&groups, |g| g.id.as_ref().map(|i| i.to_string())),
        item_ids(350)
    );
    assert_eq!(requests(&server).await.len(), 4);
}

#[tokio::test]
async fn short_pages_with_more_left_keep_the_walk_going() {
    let data = OffsetData {
        cap: Some(37),
        ..OffsetData::new("chats", 200)
    };
    let server = serve("/chats", data).await;

    let chats: Vec<_> = whapi(&server)
        .get_chats()
        .list()
        .page_size(100)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        ids(&chats, |c| c.id.as_ref().map(|i| i.to_string())),
        item_ids(200)
    );
    assert_eq!(requests(&server).await.len(), 200usize.div_ceil(37));
}

#[tokio::test]
async fn an_error_mid_walk_is_the_last_item() {
    let data = OffsetData {
        fail_at: Some(200),
        ..OffsetData::new("chats", 1_000)
    };
    let server = serve("/chats", data).await;

    let results: Vec<_> = whapi(&server)
        .get_chats()
        .list()
        .pages()
        .collect::<Vec<_>>()
        .await;

    assert_eq!(results.len(), 3, "two pages, then the error, then nothing");
    assert!(results[..2].iter().all(Result::is_ok));
    assert!(matches!(&results[2], Err(Error::Api(api)) if api.status == 500));
}

#[tokio::test]
async fn a_page_refused_with_503_once_is_retried_and_the_walk_goes_on() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/chats"))
        .and(wiremock::matchers::query_param("offset", "200"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/chats"))
        .respond_with(OffsetData::new("chats", 450))
        .mount(&server)
        .await;
    let wa = whapi_ext::Whapi::builder()
        .token(crate::TEST_TOKEN)
        .base_url(server.uri())
        .retry_policy(crate::fast_retries())
        .build()
        .unwrap();

    let chats: Vec<_> = wa
        .get_chats()
        .list()
        .page_size(100)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        ids(&chats, |c| c.id.as_ref().map(|i| i.to_string())),
        item_ids(450)
    );
    let offsets: Vec<u64> = requests(&server)
        .await
        .iter()
        .filter_map(|r| query_u64(r, "offset"))
        .collect();
    assert_eq!(offsets, [0, 100, 200, 200, 300, 400], "offset 200 twice");
}

#[tokio::test]
async fn a_page_size_out_of_range_is_refused_before_any_request() {
    let server = serve("/chats", OffsetData::new("chats", 10)).await;
    for size in [0, 501] {
        let results: Vec<_> = whapi(&server)
            .get_chats()
            .list()
            .page_size(size)
            .items()
            .collect::<Vec<_>>()
            .await;
        assert!(
            matches!(&results[..], [Err(Error::InvalidArgument(i))] if i.field() == "page_size"),
            "{size}: {results:?}"
        );
    }
    assert!(requests(&server).await.is_empty());
}

/// Serves newsletters in pages of `count` behind opaque cursors; with
/// `stuck`, the cursor never moves.
struct CursorData {
    total: usize,
    stuck: bool,
}

impl Respond for CursorData {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start: usize = query(request, "cursor")
            .and_then(|c| c.strip_prefix("after-").and_then(|n| n.parse().ok()))
            .unwrap_or(0);
        let count = query_u64(request, "count").unwrap_or(10) as usize;
        let end = (start + count).min(self.total);
        let items: Vec<Value> = (start..end)
            .map(|i| json!({"id": format!("{i}@newsletter"), "name": format!("news {i}")}))
            .collect();
        let cursor = if self.stuck {
            "after-0".to_string()
        } else {
            format!("after-{end}")
        };
        ResponseTemplate::new(200).set_body_json(json!({"newsletters": items, "page_info": {"end_cursor": cursor, "next_page": end < self.total}}))
    }
}

#[tokio::test]
async fn cursor_walks_follow_end_cursor_to_the_last_page() {
    let server = serve(
        "/newsletters/find",
        CursorData {
            total: 45,
            stuck: false,
        },
    )
    .await;

    let found: Vec<_> = whapi(&server)
        .find_newsletter()
        .search("news")
        .list()
        .page_size(20)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        ids(&found, |n| n.id.as_ref().map(|i| i.to_string())),
        (0..45)
            .map(|i| format!("{i}@newsletter"))
            .collect::<Vec<_>>()
    );
    let cursors: Vec<Option<String>> = requests(&server)
        .await
        .iter()
        .map(|r| query(r, "cursor"))
        .collect();
    assert_eq!(
        cursors,
        [None, Some("after-20".into()), Some("after-40".into())]
    );
    assert!(
        requests(&server)
            .await
            .iter()
            .all(|r| query(r, "search").as_deref() == Some("news")),
        "filters reach every page"
    );
}

#[tokio::test]
async fn the_same_cursor_twice_ends_the_walk_with_an_error() {
    let server = serve(
        "/newsletters/recommended",
        CursorData {
            total: 1_000,
            stuck: true,
        },
    )
    .await;

    let results: Vec<_> = whapi(&server)
        .recommended_newsletter()
        .list()
        .page_size(10)
        .pages()
        .collect::<Vec<_>>()
        .await;

    assert_eq!(results.len(), 2, "{results:?}");
    assert!(results[0].is_ok());
    let Err(Error::PaginationLoop { what: why }) = &results[1] else {
        panic!("expected the loop error, got {:?}", results[1])
    };
    assert!(why.contains("twice"), "{why}");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_server_that_ignores_the_offset_ends_the_walk_with_an_error() {
    let server = MockServer::start().await;
    let page: Vec<Value> = (0..100).map(|i| item("chats", i)).collect();
    // No total, full pages, always the same ones: without a guard this
    // would never end.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"chats": page})))
        .mount(&server)
        .await;

    let results: Vec<_> = whapi(&server)
        .get_chats()
        .list()
        .pages()
        .collect::<Vec<_>>()
        .await;

    assert_eq!(results.len(), 2, "one page, then the error");
    assert!(
        matches!(&results[1], Err(Error::PaginationLoop { .. })),
        "{:?}",
        results[1].as_ref().err()
    );
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_limit_on_a_cursor_walk_asks_only_for_what_is_missing() {
    let server = serve(
        "/newsletters/find",
        CursorData {
            total: 1_000,
            stuck: false,
        },
    )
    .await;

    let found: Vec<_> = whapi(&server)
        .find_newsletter()
        .list()
        .page_size(20)
        .limit(45)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(found.len(), 45);
    let counts: Vec<Option<u64>> = requests(&server)
        .await
        .iter()
        .map(|r| query_u64(r, "count"))
        .collect();
    assert_eq!(counts, [Some(20), Some(20), Some(5)]);
}

/// Serves `total` newsletter messages, newest first, before an index.
struct BeforeData {
    total: u64,
}

impl Respond for BeforeData {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let before = query_u64(request, "before").unwrap_or(self.total);
        let count = query_u64(request, "count").unwrap_or(100);
        let first = before.saturating_sub(count);
        let items: Vec<Value> = (first..before).rev().map(|i| item("messages", i)).collect();
        ResponseTemplate::new(200).set_body_json(json!({"messages": items, "count": items.len(), "first": first, "last": before.saturating_sub(1), "total": self.total}))
    }
}

#[tokio::test]
async fn newsletter_messages_go_back_to_the_first() {
    let server = serve(
        "/newsletters/120363000000000000@newsletter/messages",
        BeforeData { total: 95 },
    )
    .await;

    let messages: Vec<_> = whapi(&server)
        .get_messages_newsletter("120363000000000000@newsletter")
        .list()
        .page_size(20)
        .items()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(
        ids(&messages, |m| m.id.clone().map(String::from)),
        (0..95)
            .rev()
            .map(|i| format!("msg-{i:06}"))
            .collect::<Vec<_>>()
    );
    let befores: Vec<Option<u64>> = requests(&server)
        .await
        .iter()
        .map(|r| query_u64(r, "before"))
        .collect();
    assert_eq!(befores, [None, Some(75), Some(55), Some(35), Some(15)]);
}

/// The operations of the spec that page: by count and offset, by cursor, or
/// by before/after.
fn paginated_operations() -> BTreeSet<String> {
    let spec = whapi_tests::spec();
    let params = |op: &Value| -> BTreeSet<String> {
        op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let p = match p.get("$ref").and_then(Value::as_str) {
                    Some(r) => spec.pointer(r.trim_start_matches('#'))?,
                    None => p,
                };
                p["name"].as_str().map(String::from)
            })
            .collect()
    };
    let mut out = BTreeSet::new();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let names = params(op);
            let pages = (names.contains("count") && names.contains("offset"))
                || names.contains("cursor")
                || names.contains("before")
                || names.contains("after");
            if pages {
                out.insert(op["operationId"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

#[tokio::test]
#[allow(deprecated)] // getCollectionsProductsList is deprecated, and a list
async fn every_paginated_operation_in_the_spec_has_a_stream() {
    let server = MockServer::start().await;
    let one = |key: &str| json!([item(key, 1)]);
    let body = json!({
        "chats": one("chats"), "contacts": one("contacts"), "groups": one("groups"), "applications": [{"id": "1"}],
        "messages": one("messages"), "newsletters": one("newsletters"), "files": [{"id": "f"}], "products": [{"id": "p", "price": 1.5, "currency": "USD", "images": ["https://example.com/p.jpg"], "availability": "in stock", "name": "P", "description": "d"}],
        "collections": [{"id": "c"}], "total": 1, "first": 0, "page_info": {"next_page": false}});
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let wa = whapi(&server);

    // The endpoint of each operation, from the spec.
    let spec = whapi_tests::spec();
    let mut endpoints = std::collections::BTreeMap::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            if let Some(id) = op["operationId"].as_str() {
                endpoints.insert(id.to_string(), (verb.to_uppercase(), path.clone()));
            }
        }
    }
    let matches_template = |template: &str, path: &str| {
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len()
            && t.iter()
                .zip(&p)
                .all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
    };
    // One entry per stream: its operationId, one page of it, and the
    // request it made, which must go to that operation's endpoint.
    let mut covered = BTreeSet::new();
    let mut seen = 0;
    macro_rules! check {
        ($($id:literal => $list:expr),* $(,)?) => {$(
            let pages: Vec<_> = $list.pages().try_collect().await.unwrap_or_else(|e| panic!("{}: {e:?}", $id));
            assert_eq!(pages.len(), 1, "{}", $id);
            let requests = server.received_requests().await.unwrap();
            let (verb, template) = &endpoints[$id];
            for request in &requests[seen..] {
                let path = percent_encoding::percent_decode_str(request.url.path()).decode_utf8_lossy().into_owned();
                assert!(
                    request.method.as_str() == verb && matches_template(template, &path),
                    "{}: the stream asked {} {path}, the operation is {verb} {template}",
                    $id,
                    request.method
                );
            }
            assert_eq!(requests.len(), seen + 1, "{}: one request for one page", $id);
            seen = requests.len();
            covered.insert($id.to_string());
        )*};
    }
    check! {
        "getMessages" => wa.get_messages().list(),
        "getMessagesByChatID" => wa.get_messages_by_chat_id("120363025343298765@g.us").list(),
        "getChats" => wa.get_chats().list(),
        "getContacts" => wa.get_contacts().list(),
        "getGroups" => wa.get_groups().list(),
        "getGroupApplicationsList" => wa.get_group_applications_list("120363025343298765@g.us").list(),
        "getStories" => wa.get_stories().list(),
        "getNewsletters" => wa.get_newsletters().list(),
        "findNewsletter" => wa.find_newsletter().list(),
        "recommendedNewsletter" => wa.recommended_newsletter().list(),
        "getMessagesNewsletter" => wa.get_messages_newsletter("1@newsletter").list(),
        "getMediaFiles" => wa.get_media_files().list(),
        "getProducts" => wa.get_products().list(),
        "getContactProducts" => wa.get_contact_products("15550100000").list(),
        "getCollectionsList" => wa.get_collections_list().list(),
        "getCollectionsProductsList" => wa.get_collections_products_list().list(),
        "getCommunities" => wa.get_communities().list(),
    }
    assert_eq!(seen, 17, "one request per stream");

    let in_spec = paginated_operations();
    let missing: Vec<_> = in_spec.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "paginated operations without a stream: {missing:?}"
    );
    let extra: Vec<_> = covered.difference(&in_spec).collect();
    assert!(
        extra.is_empty(),
        "streams for operations the spec does not page: {extra:?}"
    );
    assert_eq!(in_spec.len(), 17);
}

#[tokio::test]
async fn a_lists_filters_are_its_calls_setters_checked_and_sent_with_every_page() {
    let server = serve("/chats", OffsetData::new("chats", 25)).await;
    let wa = whapi(&server);

    let refused: Vec<_> = wa
        .get_messages_by_chat_id("not a chat")
        .list()
        .pages()
        .collect()
        .await;
    assert!(
        matches!(refused.as_slice(), [Err(Error::InvalidArgument(_))]),
        "a bad filter ends the walk before any request: {refused:?}"
    );
    assert!(requests(&server).await.is_empty());

    let chats: Vec<_> = wa
        .get_chats()
        .with_options(whapi_ext::CallOptions::new().header("x-walk", "7").unwrap())
        .list()
        .page_size(10)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(chats.len(), 25);
    let requests = requests(&server).await;
    assert_eq!(requests.len(), 3, "pages of 10, 10 and 5");
    for request in &requests {
        assert_eq!(
            request.headers.get("x-walk").map(|v| v.as_bytes()),
            Some(&b"7"[..]),
            "options travel with every page"
        );
    }
    let offsets: Vec<String> = requests
        .iter()
        .map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(offsets, ["0", "10", "20"], "the walk sets the paging");
}

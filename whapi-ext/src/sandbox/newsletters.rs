//! Newsletters in the sandbox: the channel creates them and posts to them
//! (a send to a `…@newsletter` id); they list by offset, are found by a
//! cursor, and their messages page back with `before` (a message's index
//! in the newsletter, from 0), as the service pages them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::routes::{answer, parse, Paging};
use super::state::{now, offset_page, Refusal};
use super::Shared;

/// The channel's newsletters, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Newsletters {
    list: Vec<Value>,
}

impl Newsletters {
    fn create(&mut self, new: Create) -> Value {
        let id = format!("1203630000{:08}@newsletter", self.list.len() + 1);
        let newsletter = json!({
            "id": id, "type": "newsletter", "name": new.name,
            "description": new.description.unwrap_or_default(),
            "created_at": now(), "subscribers_count": 0, "role": "owner",
        });
        self.list.push(newsletter.clone());
        newsletter
    }

    fn exists(&self, id: &str) -> bool {
        self.list.iter().any(|n| n["id"] == id)
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/newsletters", get(list).post(create))
        .route("/newsletters/find", get(find))
        .route("/newsletters/{newsletter_id}/messages", get(messages))
}

#[derive(Deserialize)]
struct Create {
    name: String,
    description: Option<String>,
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<Create>(&body).map(|new| {
        let newsletter = shared.newsletters().create(new);
        shared.lock().add_chat(
            &newsletter["id"],
            newsletter["name"].as_str().unwrap_or_default(),
        );
        newsletter
    }))
}

async fn list(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Json<Value> {
    let (offset, count) = paging.window();
    Json(offset_page(
        "newsletters",
        &shared.newsletters().list,
        offset,
        count,
    ))
}

/// `GET /newsletters/find`: by `search` in the name, `count` at a time;
/// the cursor is where the next page starts.
#[derive(Deserialize)]
struct Find {
    search: Option<String>,
    cursor: Option<String>,
    count: Option<usize>,
}

async fn find(State(shared): State<Arc<Shared>>, Query(find): Query<Find>) -> Response {
    let start = match find.cursor.as_deref().map(str::parse::<usize>) {
        None => Ok(0),
        Some(Ok(start)) => Ok(start),
        Some(Err(_)) => Err(Refusal::not_found("no such cursor was given")),
    };
    answer(start.map(|start| {
        let count = find.count.unwrap_or(20).max(1);
        let search = find.search.unwrap_or_default().to_lowercase();
        let newsletters = shared.newsletters();
        let found: Vec<&Value> = newsletters
            .list
            .iter()
            .filter(|n| {
                let name = n["name"].as_str().unwrap_or_default().to_lowercase();
                name.contains(&search)
            })
            .collect();
        let page: Vec<&Value> = found.iter().skip(start).take(count).copied().collect();
        let end = start + page.len();
        let next_page = end < found.len();
        let mut info = json!({"next_page": next_page, "previous_page": start > 0});
        if next_page {
            info["end_cursor"] = json!(end.to_string());
        }
        json!({"newsletters": page, "page_info": info})
    }))
}

/// `before` and `after`: message indexes in the newsletter.
#[derive(Deserialize)]
struct Window {
    count: Option<usize>,
    before: Option<usize>,
    after: Option<usize>,
}

async fn messages(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(window): Query<Window>,
) -> Response {
    if !shared.newsletters().exists(&id) {
        return answer(Err(Refusal::not_found(format!("no newsletter {id}"))));
    }
    let channel = shared.lock();
    let all = channel.messages_of(&id);
    let count = window.count.unwrap_or(100).max(1);
    let end = window.before.unwrap_or(all.len()).min(all.len());
    let from = window
        .after
        .map_or(0, |after| after.saturating_add(1))
        .min(end);
    // The newest `count` of the window, newest first.
    let first = end.saturating_sub(count).max(from);
    let page: Vec<&Value> = all[first..end].iter().rev().copied().collect();
    answer(Ok(json!({
        "messages": page, "count": page.len(), "total": all.len(),
        "first": first, "last": end.saturating_sub(1),
    })))
}

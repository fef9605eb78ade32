//! Labels in the sandbox: created with their colour, put on chats and taken
//! off again; a label's chats and its count follow.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use super::routes::{answer, parse};
use super::state::Refusal;
use super::Shared;

/// The channel's labels, by id.
#[derive(Debug, Default)]
pub(crate) struct Labels {
    labels: BTreeMap<String, Label>,
}

#[derive(Debug)]
struct Label {
    name: String,
    color: String,
    chats: BTreeSet<String>,
}

impl Labels {
    fn json(&self) -> Value {
        let labels: Vec<Value> = self
            .labels
            .iter()
            .map(|(id, l)| json!({"id": id, "name": l.name, "color": l.color, "count": l.chats.len()}))
            .collect();
        Value::Array(labels)
    }

    /// A new label; for an id that exists, its name and colour change and
    /// its chats stay.
    fn create(&mut self, new: Create) -> Value {
        let label = self.labels.entry(new.id).or_insert_with(|| Label {
            name: String::new(),
            color: String::new(),
            chats: BTreeSet::new(),
        });
        label.name = new.name;
        label.color = new.color;
        json!({"success": true})
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut Label, Refusal> {
        self.labels
            .get_mut(id)
            .ok_or_else(|| Refusal::not_found(format!("no label {id}")))
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/labels", get(list).post(create))
        .route("/labels/{label_id}", get(associations))
        .route(
            "/labels/{label_id}/{chat_id}",
            post(associate).delete(dissociate),
        )
}

/// `POST /labels`: what the spec requires of a new label.
#[derive(Deserialize)]
struct Create {
    id: String,
    name: String,
    color: String,
}

async fn list(State(shared): State<Arc<Shared>>) -> Response {
    answer(Ok(shared.labels().json()))
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<Create>(&body).map(|new| shared.labels().create(new)))
}

/// `GET /labels/{LabelID}`: the chats with the label (messages carry none
/// in the sandbox).
async fn associations(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let chats = shared
        .labels()
        .get_mut(&id)
        .map(|label| label.chats.iter().cloned().collect::<Vec<_>>());
    answer(chats.map(|ids| {
        let channel = shared.lock();
        let chats: Vec<Value> = ids
            .iter()
            .map(|id| {
                channel
                    .chat(id)
                    .unwrap_or_else(|| json!({"id": id, "type": "contact"}))
            })
            .collect();
        json!({"chats": chats, "messages": []})
    }))
}

async fn associate(
    State(shared): State<Arc<Shared>>,
    Path((label, chat)): Path<(String, String)>,
) -> Response {
    answer(shared.labels().get_mut(&label).map(|l| {
        l.chats.insert(chat);
        json!({"success": true})
    }))
}

async fn dissociate(
    State(shared): State<Arc<Shared>>,
    Path((label, chat)): Path<(String, String)>,
) -> Response {
    answer(
        shared
            .labels()
            .get_mut(&label)
            .map(|l| json!({"success": l.chats.remove(&chat)})),
    )
}

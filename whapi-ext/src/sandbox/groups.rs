//! Groups in the sandbox: created with their participants, who can be
//! added, removed, promoted and demoted; an invite code and an icon each.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::routes::{answer, parse, refuse, Paging};
use super::state::{now, offset_page, Refusal};
use super::Shared;

/// The channel's groups, by id.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: BTreeMap<String, Group>,
    next: u64,
}

#[derive(Debug, Clone)]
struct Group {
    id: String,
    name: String,
    /// Participants (phone digits) and their rank.
    participants: Vec<(String, &'static str)>,
    invite_code: String,
    description: Option<String>,
    icon: Option<(Bytes, String)>,
    created: u64,
}

impl Group {
    fn participants_json(&self) -> Vec<Value> {
        self.participants
            .iter()
            .map(|(id, rank)| json!({"id": id, "rank": rank}))
            .collect()
    }

    fn json(&self) -> Value {
        let participants = self.participants_json();
        let mut group = json!({"id": self.id, "name": self.name, "type": "group", "timestamp": self.created,
               "participants": participants, "participants_count": participants.len()});
        if let Some(description) = &self.description {
            group["description"] = json!(description);
        }
        group
    }
}

/// The invite code numbered `n` of a group: no code is given twice.
fn invite_code(n: u64, group_id: &str) -> String {
    format!("SbxInvite{n:06}{}", &group_id[7..12])
}

/// The phone numbers given, as the SDK's [`ContactId`] writes them; an
/// error names one that is not.
///
/// [`ContactId`]: crate::ids::ContactId
fn phones(given: &[String]) -> Result<Vec<String>, Refusal> {
    given
        .iter()
        .map(|p| {
            crate::ids::ContactId::new(p.as_str())
                .map(|id| id.as_str().to_string())
                .map_err(|e| Refusal::bad_request(e.to_string()))
        })
        .collect()
}

impl Groups {
    fn create(&mut self, subject: &str, participants: &[String]) -> Result<Value, Refusal> {
        if subject.trim().is_empty() {
            return Err(Refusal::bad_request("`subject` must not be empty"));
        }
        let members = phones(participants)?;
        self.next += 1;
        let created = now();
        let id = format!("1203630{:011}@g.us", created % 100_000_000_000 + self.next);
        let mut everyone = vec![(super::HEALTH_USER.to_string(), "creator")];
        everyone.extend(members.into_iter().map(|m| (m, "member")));
        let group = Group {
            invite_code: invite_code(self.next, &id),
            id: id.clone(),
            name: subject.to_string(),
            participants: everyone,
            description: None,
            icon: None,
            created,
        };
        let answer = group.json();
        self.groups.insert(id, group);
        Ok(answer)
    }

    /// The group whose invite code is `code` (a revoked one is no one's).
    fn by_code(&self, code: &str) -> Result<&Group, Refusal> {
        self.groups
            .values()
            .find(|g| g.invite_code == code)
            .ok_or_else(|| Refusal::not_found(format!("no group has the invite code {code}")))
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut Group, Refusal> {
        self.groups
            .get_mut(id)
            .ok_or_else(|| Refusal::not_found(format!("no group {id}")))
    }

    /// Adds or removes participants: those it could and could not.
    pub(crate) fn change_members(
        &mut self,
        id: &str,
        given: &[String],
        add: bool,
    ) -> Result<Value, Refusal> {
        let phones = phones(given)?;
        let group = self.get_mut(id)?;
        let (mut processed, mut failed) = (Vec::new(), Vec::new());
        for phone in phones {
            let at = group.participants.iter().position(|(p, _)| *p == phone);
            match (add, at) {
                (true, None) => {
                    group.participants.push((phone.clone(), "member"));
                    processed.push(phone);
                }
                (false, Some(i)) if group.participants[i].1 != "creator" => {
                    group.participants.remove(i);
                    processed.push(phone);
                }
                _ => failed.push(phone),
            }
        }
        Ok(json!({"success": failed.is_empty(), "processed": processed, "failed": failed}))
    }

    fn set_rank(
        &mut self,
        id: &str,
        given: &[String],
        rank: &'static str,
    ) -> Result<Value, Refusal> {
        let phones = phones(given)?;
        let group = self.get_mut(id)?;
        // All or nothing: every one is checked before any changes.
        let at: Vec<usize> = phones
            .iter()
            .map(|phone| {
                group
                    .participants
                    .iter()
                    .position(|(p, r)| p == phone && *r != "creator")
                    .ok_or_else(|| Refusal::bad_request(format!("{phone} is not a participant")))
            })
            .collect::<Result<_, _>>()?;
        for i in at {
            group.participants[i].1 = rank;
        }
        Ok(json!({"success": true}))
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/groups", get(list).post(create).put(accept_invite))
        .route(
            "/groups/link/{invite_code}",
            get(by_invite).post(send_invite),
        )
        .route(
            "/groups/{group_id}",
            get(one).put(update_info).delete(leave),
        )
        .route("/groups/{group_id}/participants", post(add).delete(remove))
        .route(
            "/groups/{group_id}/admins",
            axum::routing::patch(promote).delete(demote),
        )
        .route(
            "/groups/{group_id}/invite",
            get(invite).delete(revoke_invite),
        )
        .route(
            "/groups/{group_id}/icon",
            put(set_icon).get(icon).delete(delete_icon),
        )
}

#[derive(Deserialize)]
struct Create {
    subject: String,
    participants: Vec<String>,
}

async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<Create>(&body).and_then(|c| {
        let created = shared.groups().create(&c.subject, &c.participants)?;
        shared.lock().add_chat(&created["id"], &c.subject);
        Ok(created)
    }))
}

async fn list(State(shared): State<Arc<Shared>>, Query(paging): Query<Paging>) -> Json<Value> {
    let (offset, count) = paging.window();
    let all: Vec<Value> = shared.groups().groups.values().map(Group::json).collect();
    Json(offset_page("groups", &all, offset, count))
}

/// `GET /groups/link/{InviteCode}`: what the invite shows of its group.
async fn by_invite(State(shared): State<Arc<Shared>>, Path(code): Path<String>) -> Response {
    answer(shared.groups().by_code(&code).map(|g| {
        let participants = g.participants_json();
        json!({"id": g.id, "name": g.name, "participants": participants,
               "participantsCount": participants.len(), "created_at": g.created,
               "created_by": super::HEALTH_USER})
    }))
}

#[derive(Deserialize)]
struct Invite {
    invite_code: String,
}

/// `PUT /groups`: the channel joins by an invite code (it is already in
/// the sandbox's own groups).
async fn accept_invite(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    answer(parse::<Invite>(&body).and_then(|invite| {
        let groups = shared.groups();
        let group = groups.by_code(&invite.invite_code)?;
        Ok(json!({"group_id": group.id}))
    }))
}

/// `POST /groups/link/{InviteCode}`: the invite sent to a chat, as a
/// `group_invite` message.
async fn send_invite(
    State(shared): State<Arc<Shared>>,
    Path(code): Path<String>,
    body: Bytes,
) -> Response {
    let found = shared
        .groups()
        .by_code(&code)
        .map(|g| (g.id.clone(), g.name.clone()));
    let sent = found.and_then(|(id, name)| {
        let mut fields: serde_json::Map<String, Value> = parse(&body)?;
        fields.insert("invite_code".into(), json!(code));
        fields.insert("group_id".into(), json!(id));
        fields.entry("title").or_insert(json!(name));
        shared.lock().send("group_invite", fields)
    });
    super::routes::answer_sent(&shared, sent)
}

#[derive(Deserialize)]
struct Info {
    subject: Option<String>,
    description: Option<String>,
}

/// `PUT /groups/{GroupID}`: a new subject (its name) or description.
async fn update_info(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    answer(parse::<Info>(&body).and_then(|info| {
        let mut groups = shared.groups();
        let group = groups.get_mut(&id)?;
        if let Some(subject) = info.subject {
            group.name = subject;
        }
        if let Some(description) = info.description {
            group.description = Some(description);
        }
        Ok(json!({"success": true}))
    }))
}

/// `DELETE /groups/{GroupID}`: the channel leaves; the group is no longer
/// its.
async fn leave(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let left = shared.groups().groups.remove(&id);
    answer(
        left.map(|_| json!({"success": true}))
            .ok_or_else(|| Refusal::not_found(format!("no group {id}"))),
    )
}

/// `DELETE /groups/{GroupID}/invite`: the old code stops working, a new one
/// takes its place.
async fn revoke_invite(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut groups = shared.groups();
    groups.next += 1;
    let fresh = groups.next;
    answer(groups.get_mut(&id).map(|g| {
        g.invite_code = invite_code(fresh, &g.id);
        json!({"success": true})
    }))
}

async fn delete_icon(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.groups().get_mut(&id).map(|g| {
        g.icon = None;
        json!({"success": true})
    }))
}

async fn one(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(shared.groups().get_mut(&id).map(|g| g.json()))
}

#[derive(Deserialize)]
struct Participants {
    participants: Vec<String>,
}

/// Changes the participants a body lists in group `id`.
fn with_participants(
    shared: &Shared,
    id: &str,
    body: &[u8],
    change: impl FnOnce(&mut Groups, &str, &[String]) -> Result<Value, Refusal>,
) -> Response {
    answer(
        parse::<Participants>(body).and_then(|p| change(&mut shared.groups(), id, &p.participants)),
    )
}

async fn add(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Response {
    with_participants(&shared, &id, &body, |g, id, p| {
        g.change_members(id, p, true)
    })
}

async fn remove(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with_participants(&shared, &id, &body, |g, id, p| {
        g.change_members(id, p, false)
    })
}

async fn promote(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with_participants(&shared, &id, &body, |g, id, p| g.set_rank(id, p, "admin"))
}

async fn demote(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    with_participants(&shared, &id, &body, |g, id, p| g.set_rank(id, p, "member"))
}

async fn invite(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    answer(
        shared
            .groups()
            .get_mut(&id)
            .map(|g| json!({"invite_code": g.invite_code})),
    )
}

/// `PUT /groups/{GroupID}/icon`: a JPEG or PNG as the body.
async fn set_icon(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mime = super::routes::media_type(&headers).to_string();
    // By reference (`{"media": "<id or URL>"}`): an uploaded file is used;
    // a URL is kept as it is, and read back as `text/uri-list` (the
    // sandbox fetches nothing).
    let (body, mime) = if mime.starts_with("application/json") {
        let reference: Value = serde_json::from_slice(&body).unwrap_or_default();
        let media = reference["media"].as_str().unwrap_or_default();
        if media.starts_with("http://") || media.starts_with("https://") {
            return answer(shared.groups().get_mut(&id).map(|g| {
                g.icon = Some((Bytes::from(media.to_string()), "text/uri-list".into()));
                json!({"success": true})
            }));
        } else {
            match shared.lock().media(media).cloned() {
                Some(stored) => (stored.bytes, stored.mime_type),
                None => return refuse(&Refusal::not_found(format!("no media {media}"))),
            }
        }
    } else {
        (body, mime)
    };
    if !["image/jpeg", "image/png"].contains(&mime.as_str()) {
        return refuse(&Refusal::bad_request(format!(
            "an icon is image/jpeg or image/png, not `{mime}`"
        )));
    }
    answer(shared.groups().get_mut(&id).map(|g| {
        g.icon = Some((body, mime));
        json!({"success": true})
    }))
}

async fn icon(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut groups = shared.groups();
    match groups.get_mut(&id) {
        Ok(Group {
            icon: Some((bytes, mime)),
            ..
        }) => ([(header::CONTENT_TYPE, mime.clone())], bytes.clone()).into_response(),
        Ok(_) => refuse(&Refusal::not_found(format!("group {id} has no icon"))),
        Err(refusal) => refuse(&refusal),
    }
}

//! Group administration: create a group, add a participant, make them an
//! admin, set the icon and get the invite link.
//!
//! ```sh
//! cargo run -p whapi-ext --example group_admin
//! ```
//!
//! Without `WHAPI_TOKEN` it runs against a local spec-validating mock
//! (Prism, installed with npm on the first run) and says so. With it, it
//! acts on your real account, so it needs `WHAPI_TO`: the phone number of a
//! contact to put in the new group.

mod common;

use whapi_ext::ids::{ContactId, GroupId};
use whapi_ext::media::MediaSource;
use whapi_ext::raw::types;

/// A 1×1 PNG, enough for an icon the mock accepts (use a real photo of at
/// least 192×192 pixels with the real service).
const ICON: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect()?;
    let wa = &session.wa;
    let Some(to) = &session.to else {
        println!("set WHAPI_TO to the phone number of a contact to add to the new group");
        return Ok(());
    };
    // Checked and normalized before anything is sent: `+1 (555) 010-0000`
    // becomes `15550100000`, a typo becomes an `Error::InvalidArgument`.
    let member = ContactId::new(to)?;
    let members = || vec![types::ContactId::from(member.to_string())];

    let created = wa
        .call(|c| {
            c.create_group()
                .body(
                    types::CreateGroupRequest::builder()
                        .subject("whapi-rs example")
                        .participants(members()),
                )
                .send()
        })
        .await?;
    let group = GroupId::new(
        created
            .id
            .as_deref()
            .ok_or("the server named no group id")?,
    )?;
    println!(
        "1. created {group} ({:?}) with {} participants",
        created.name,
        created.participants.len()
    );

    wa.call(|c| {
        c.add_group_participant()
            .group_id(group.to_string())
            .body(types::ListParticipantsRequest::builder().participants(members()))
            .send()
    })
    .await?;
    println!("2. added {member}");

    wa.call(|c| {
        c.promote_to_group_admin()
            .group_id(group.to_string())
            .body(types::ListParticipantsRequest::builder().participants(members()))
            .send()
    })
    .await?;
    println!("3. made {member} an admin");

    // The icon goes as a raw PNG body with its true media type.
    wa.set_group_icon(&group, MediaSource::bytes(ICON, "icon.png", "image/png"))
        .await?;
    println!("4. set the icon");

    let invite = wa
        .call(|c| c.get_group_invite().group_id(group.to_string()).send())
        .await?;
    println!(
        "5. invite link: https://chat.whatsapp.com/{}",
        invite.invite_code
    );
    Ok(())
}

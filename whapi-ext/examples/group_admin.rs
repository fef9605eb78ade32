//! Group administration: create a group, add a participant, make them an
//! admin, set the icon and get the invite link.
//!
//! ```sh
//! cargo run -p whapi-ext --features sandbox --example group_admin [ICON.png|ICON.jpg]
//! ```
//!
//! Without `WHAPI_TOKEN` it runs on the sandbox (`--features sandbox`, a
//! stateful local Whapi), else against a local spec-validating mock
//! (Prism, installed with npm on the first run), and says so.
//!
//! With `WHAPI_TOKEN` it acts on your real account: it creates a group
//! named "whapi-rs example" with the contact `WHAPI_TO`, adds `WHAPI_ADD`
//! when set (the step is skipped otherwise), and makes that participant an
//! admin. The group stays, also when a later step fails: leave it from your
//! phone when done. The icon is a green disc unless you name an image.

mod common;

use whapi_ext::ids::ContactId;
use whapi_ext::media::MediaSource;

#[tokio::main]
async fn main() -> Result<(), common::Failure> {
    let session = common::connect().await?;
    let wa = &session.wa;
    let Some(to) = &session.to else {
        println!("set WHAPI_TO to the phone number of a contact to create the group with");
        return Ok(());
    };
    let added = if session.mock {
        Some(common::MOCK_RECIPIENTS[1].to_string())
    } else {
        std::env::var("WHAPI_ADD").ok().filter(|a| !a.is_empty())
    };
    // Checked and normalized before anything is sent: `+1 (555) 010-0000`
    // becomes `15550100000`, a typo becomes an `Error::InvalidArgument`.
    let first = ContactId::new(to)?;
    let added = added.map(ContactId::new).transpose()?;
    let icon = match std::env::args_os().nth(1) {
        Some(path) => MediaSource::path(path),
        None => MediaSource::bytes(common::PNG, "icon.png", "image/png"),
    };

    let created = wa.create_group("whapi-rs example", [&first]).await?;
    let group = created.id();
    if group.is_empty() {
        return Err("the server named no group id".into());
    }
    println!(
        "1. created {group} ({}) with {} participant(s)",
        created.name(),
        created.participants.len()
    );

    let admin = match &added {
        Some(added) => {
            wa.add_group_participant(group, [added]).await?;
            println!("2. added {added}");
            added
        }
        None => {
            println!("2. set WHAPI_ADD to add a participant; skipped");
            &first
        }
    };

    wa.promote_to_group_admin(group, [admin]).await?;
    println!("3. made {admin} an admin");

    // Local data goes as a raw JPEG or PNG body with its true media type;
    // anything else is refused before sending.
    wa.set_group_icon(group, icon).await?;
    println!("4. set the icon");

    let invite = wa.get_group_invite(group).await?;
    println!("5. invite link: {}", invite.link());
    Ok(())
}

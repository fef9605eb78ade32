//! One-line constructors for the nested values of requests: buttons, list
//! rows and sections, interactive actions, texts and carousel cards.

use crate::types;

impl types::Button {
    fn of(kind: types::ButtonType, id: String, title: String) -> Self {
        Self {
            type_: kind,
            id,
            title,
            copy_code: None,
            merchant_url: None,
            phone_number: None,
            url: None,
        }
    }

    /// A quick-reply button; a press answers with its `id`.
    pub fn quick_reply(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self::of(types::ButtonType::QuickReply, id.into(), title.into())
    }

    /// A button that opens `url`.
    pub fn url(id: impl Into<String>, title: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            url: Some(url.into()),
            ..Self::of(types::ButtonType::Url, id.into(), title.into())
        }
    }

    /// A button that calls `phone_number`.
    pub fn call(
        id: impl Into<String>,
        title: impl Into<String>,
        phone_number: impl Into<String>,
    ) -> Self {
        Self {
            phone_number: Some(phone_number.into()),
            ..Self::of(types::ButtonType::Call, id.into(), title.into())
        }
    }

    /// A button that copies `code` to the clipboard.
    pub fn copy(id: impl Into<String>, title: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            copy_code: Some(code.into()),
            ..Self::of(types::ButtonType::Copy, id.into(), title.into())
        }
    }
}

impl types::InteractiveAction {
    /// An action of buttons.
    pub fn with_buttons(buttons: impl IntoIterator<Item = types::Button>) -> Self {
        Self {
            buttons: buttons.into_iter().collect(),
            list: None,
            product: None,
        }
    }

    /// An action that opens a list: `label` on its button, then sections
    /// of rows.
    pub fn with_list(
        label: impl Into<String>,
        sections: impl IntoIterator<Item = types::SectionListListSectionsItem>,
    ) -> Self {
        Self {
            buttons: Vec::new(),
            list: Some(types::SectionListList {
                label: label.into(),
                sections: sections.into_iter().collect(),
            }),
            product: None,
        }
    }
}

impl types::SectionListListSectionsItem {
    /// A section of a list: its title and rows.
    pub fn new(
        title: impl Into<String>,
        rows: impl IntoIterator<Item = types::SectionListListSectionsItemRowsItem>,
    ) -> Self {
        Self {
            title: Some(title.into()),
            rows: rows.into_iter().collect(),
        }
    }
}

impl types::SectionListListSectionsItemRowsItem {
    /// A row of a list; choosing it answers with its `id`.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            title: Some(title.into()),
            description: None,
        }
    }

    /// The row with a line under its title.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Texts of interactive and carousel messages, from a string.
macro_rules! text_value {
    ($($ty:ident),*) => {$(
        impl From<&str> for types::$ty {
            fn from(text: &str) -> Self {
                Self { text: Some(text.to_string()) }
            }
        }

        impl From<String> for types::$ty {
            fn from(text: String) -> Self {
                Self { text: Some(text) }
            }
        }
    )*};
}

text_value!(
    MessagePropsInteractiveHeader,
    MessagePropsInteractiveBody,
    MessagePropsInteractiveFooter,
    MessagePropsCarouselBody
);

impl types::CarouselCard {
    /// A card: its id, the media shown (a URL or a media id) and its
    /// buttons.
    pub fn new(
        id: impl Into<String>,
        media: impl Into<String>,
        buttons: impl IntoIterator<Item = types::Button>,
    ) -> Self {
        Self {
            id: id.into(),
            media: types::SendMedia {
                media: Some(media.into()),
                mime_type: None,
                no_cache: None,
                no_encode: None,
            },
            buttons: buttons.into_iter().collect(),
            text: None,
        }
    }

    /// The card with a text under its media.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_write_what_the_spec_asks() {
        let action = types::InteractiveAction::with_buttons([
            types::Button::quick_reply("yes", "Yes"),
            types::Button::url("site", "Site", "https://example.com"),
        ]);
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(
            json["buttons"][0],
            serde_json::json!({"type": "quick_reply", "id": "yes", "title": "Yes"})
        );
        assert_eq!(json["buttons"][1]["url"], "https://example.com");
        let list = types::InteractiveAction::with_list(
            "Menu",
            [types::SectionListListSectionsItem::new(
                "Drinks",
                [
                    types::SectionListListSectionsItemRowsItem::new("tea", "Tea")
                        .description("hot"),
                ],
            )],
        );
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json["list"]["sections"][0]["rows"][0]["description"], "hot");
        let body: types::MessagePropsInteractiveBody = "Pick one".into();
        assert_eq!(body.text.as_deref(), Some("Pick one"));
    }
}

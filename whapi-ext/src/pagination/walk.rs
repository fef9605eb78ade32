//! The pure part of a walk: given the request that was made and what came
//! back, where to go next. No I/O, so every ending is unit-tested.

use crate::Error;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Position {
    /// `offset` items from the start (count/offset lists).
    Offset(u64),
    /// After this cursor; `None` for the first page (`/newsletters/find`,
    /// `/newsletters/recommended`).
    Cursor(Option<String>),
    /// Before this message index; `None` for the newest page (newsletter
    /// messages).
    Before(Option<u64>),
}

/// What a page says about the rest of the list, beyond its items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint {
    /// How many items the whole list holds, as of this page.
    pub(crate) total: Option<u64>,
    /// The cursor to continue after this page.
    pub(crate) end_cursor: Option<String>,
    /// Whether the server says a next page exists.
    pub(crate) next_page: Option<bool>,
    /// The index of the oldest item of this page (before/after lists).
    pub(crate) first: Option<u64>,
    /// A fingerprint of the page's first item, to notice a server that
    /// ignores the offset and serves the same page again.
    pub(crate) fingerprint: Option<u64>,
}

/// The position after a page, or `None` when the walk is over.
///
/// - offset walks end on an empty page, when offset + items reaches the
///   total, or on a short page when no total says more remain;
/// - cursor walks end on an empty page, when `next_page` is false or no
///   cursor comes back; a cursor that repeats the previous one is an error;
/// - before walks end on an empty page, at index 0, or when a page gives no
///   index to continue from; an index that
///   does not move back is an error.
pub(crate) fn next_position(
    asked: &Position,
    count: u64,
    got: usize,
    hint: &Hint,
) -> Result<Option<Position>, Error> {
    let got = got as u64;
    if got == 0 {
        return Ok(None);
    }
    match asked {
        Position::Offset(offset) => {
            let next = offset.saturating_add(got);
            let more = match hint.total {
                Some(total) => next < total,
                None => got >= count,
            };
            Ok(more.then_some(Position::Offset(next)))
        }
        Position::Cursor(previous) => {
            let cursor = hint.end_cursor.clone().filter(|c| !c.is_empty());
            if hint.next_page == Some(false) || cursor.is_none() {
                return Ok(None);
            }
            if cursor.is_some() && &cursor == previous {
                return Err(loop_error(format!(
                    "the server returned cursor {cursor:?} twice"
                )));
            }
            Ok(Some(Position::Cursor(cursor)))
        }
        Position::Before(previous) => {
            let Some(first) = hint.first else {
                return Ok(None);
            };
            if previous.is_some_and(|before| first >= before) {
                return Err(loop_error(format!(
                    "the server answered `before {previous:?}` with a page starting at {first}"
                )));
            }
            let _ = count;
            if first == 0 {
                return Ok(None);
            }
            Ok(Some(Position::Before(Some(first))))
        }
    }
}

fn loop_error(what: String) -> Error {
    Error::PaginationLoop { what }
}

/// Remembers what a walk has seen, to stop a server that leads it in
/// circles: a cursor it already followed, or a page whose first item is the
/// same as the previous page's.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    cursors: std::collections::HashSet<String>,
    last_fingerprint: Option<u64>,
}

impl Guard {
    /// Checks the next position and the page that led to it.
    pub(crate) fn check(&mut self, next: &Option<Position>, hint: &Hint) -> Result<(), Error> {
        if let (Some(now), Some(before)) = (hint.fingerprint, self.last_fingerprint) {
            if now == before {
                return Err(loop_error(
                    "the server sent the same page twice (it may ignore the offset)".into(),
                ));
            }
        }
        self.last_fingerprint = hint.fingerprint;
        if let Some(Position::Cursor(Some(cursor))) = next {
            if !self.cursors.insert(cursor.clone()) {
                return Err(loop_error(format!(
                    "the server led back to cursor {cursor:?}"
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_catches_cycles_and_repeated_pages() {
        let mut guard = Guard::default();
        let at = |c: &str| Some(Position::Cursor(Some(c.into())));
        let print = |f| Hint {
            fingerprint: Some(f),
            ..Hint::default()
        };
        assert!(guard.check(&at("A"), &print(1)).is_ok());
        assert!(guard.check(&at("B"), &print(2)).is_ok());
        assert!(
            matches!(
                guard.check(&at("A"), &print(3)),
                Err(Error::PaginationLoop { .. })
            ),
            "A → B → A"
        );
        let mut guard = Guard::default();
        assert!(guard.check(&Some(Position::Offset(100)), &print(7)).is_ok());
        assert!(
            guard
                .check(&Some(Position::Offset(200)), &print(7))
                .is_err(),
            "same first item at another offset"
        );
    }

    fn total(total: u64) -> Hint {
        Hint {
            total: Some(total),
            ..Hint::default()
        }
    }

    #[test]
    fn offset_walks_follow_the_total() {
        let at = |o| Position::Offset(o);
        assert_eq!(
            next_position(&at(0), 100, 100, &total(250)).unwrap(),
            Some(at(100))
        );
        assert_eq!(
            next_position(&at(200), 100, 50, &total(250)).unwrap(),
            None,
            "offset + items reached total"
        );
        assert_eq!(next_position(&at(0), 100, 100, &total(100)).unwrap(), None);
        assert_eq!(
            next_position(&at(100), 100, 0, &total(250)).unwrap(),
            None,
            "empty page"
        );
        assert_eq!(
            next_position(&at(0), 100, 40, &total(250)).unwrap(),
            Some(at(40)),
            "short page, but more remain"
        );
        assert_eq!(
            next_position(&at(600), 100, 100, &total(500)).unwrap(),
            None,
            "total shrank below the offset"
        );
    }

    #[test]
    fn offset_walks_without_a_total_end_on_a_short_page() {
        let at = |o| Position::Offset(o);
        assert_eq!(
            next_position(&at(0), 100, 100, &Hint::default()).unwrap(),
            Some(at(100))
        );
        assert_eq!(
            next_position(&at(100), 100, 99, &Hint::default()).unwrap(),
            None
        );
    }

    #[test]
    fn cursor_walks_follow_end_cursor_and_refuse_a_repeat() {
        let hint = |cursor: &str, next| Hint {
            end_cursor: Some(cursor.into()),
            next_page: next,
            ..Hint::default()
        };
        let first = Position::Cursor(None);
        assert_eq!(
            next_position(&first, 10, 10, &hint("c1", Some(true))).unwrap(),
            Some(Position::Cursor(Some("c1".into())))
        );
        assert_eq!(
            next_position(&first, 10, 10, &hint("c1", Some(false))).unwrap(),
            None
        );
        assert_eq!(
            next_position(&first, 10, 10, &Hint::default()).unwrap(),
            None,
            "no cursor back"
        );
        assert_eq!(
            next_position(&first, 10, 10, &hint("", None)).unwrap(),
            None
        );
        let again = next_position(
            &Position::Cursor(Some("c1".into())),
            10,
            10,
            &hint("c1", Some(true)),
        );
        assert!(again
            .unwrap_err()
            .to_string()
            .contains("cursor Some(\"c1\") twice"));
    }

    #[test]
    fn before_walks_move_back_and_refuse_to_stand_still() {
        let hint = |first| Hint {
            first: Some(first),
            ..Hint::default()
        };
        let newest = Position::Before(None);
        assert_eq!(
            next_position(&newest, 20, 20, &hint(180)).unwrap(),
            Some(Position::Before(Some(180)))
        );
        assert_eq!(
            next_position(&Position::Before(Some(180)), 20, 20, &hint(160)).unwrap(),
            Some(Position::Before(Some(160)))
        );
        assert_eq!(
            next_position(&Position::Before(Some(20)), 20, 20, &hint(0)).unwrap(),
            None,
            "reached the oldest"
        );
        assert_eq!(
            next_position(&Position::Before(Some(30)), 20, 10, &hint(20)).unwrap(),
            Some(Position::Before(Some(20))),
            "short, but older ones remain"
        );
        assert_eq!(
            next_position(&newest, 20, 20, &Hint::default()).unwrap(),
            None,
            "no index to continue from"
        );
        assert!(next_position(&Position::Before(Some(160)), 20, 20, &hint(160)).is_err());
    }
}

//! A short, readable summary of how a checked-in file differs from what the
//! generator produces now.

use similar::{ChangeTag, TextDiff};

/// Most changed lines shown per file; the rest are counted.
const MAX_LINES: usize = 40;

/// `None` when the contents are equal; otherwise a summary with the first
/// changed lines as a unified diff.
pub fn summarize(path: &str, on_disk: &str, fresh: &str) -> Option<String> {
    if on_disk == fresh {
        return None;
    }
    if on_disk.is_empty() {
        return Some(format!(
            "{path}: missing (a fresh generation writes {} lines)",
            fresh.lines().count()
        ));
    }
    let diff = TextDiff::from_lines(on_disk, fresh);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let unified = diff
        .unified_diff()
        .context_radius(2)
        .header(&format!("{path} (checked in)"), &format!("{path} (fresh)"))
        .to_string();
    let mut lines: Vec<&str> = unified.lines().take(MAX_LINES).collect();
    let total = unified.lines().count();
    let more = if total > MAX_LINES {
        format!("\n… {} more diff lines", total - MAX_LINES)
    } else {
        String::new()
    };
    lines.insert(0, "");
    Some(format!(
        "{path}: {removed} line(s) removed, {added} added{}{more}",
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_files_have_no_summary() {
        assert_eq!(summarize("a.rs", "x\n", "x\n"), None);
    }

    #[test]
    fn summary_counts_and_shows_changed_lines() {
        let s = summarize("a.rs", "a\nb\nc\n", "a\nB\nc\nd\n").unwrap();
        assert!(s.starts_with("a.rs: 1 line(s) removed, 2 added"), "{s}");
        assert!(
            s.contains("-b") && s.contains("+B") && s.contains("+d"),
            "{s}"
        );
    }

    #[test]
    fn a_missing_file_is_reported_as_missing() {
        assert!(summarize("a.rs", "", "x\n").unwrap().contains("missing"));
    }
}

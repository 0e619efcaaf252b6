//! Known findings: a reviewed list of findings that are already understood — intended by a
//! design, or already reported on the list — so that campaigns skip them and go on to new
//! ones. Every entry says why and links to where it was discussed.
//!
//! Format (one entry per block, blocks separated by blank lines, `#` starts a comment line):
//!
//! ```text
//! title: ownership divergence [register_dax-v4* vs mainline]: soft-reserved N-N | owner hmem | owner nobody
//! reason: the series' fallback: HMEM takes what CXL does not claim
//! link: https://lore.kernel.org/all/…/
//! ```
//!
//! `title` is matched against [`crate::Finding::title`]; `*` matches any text.

use crate::Finding;

/// One reviewed entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KnownEntry {
    /// The title pattern.
    pub title: String,
    /// Why it is not a new finding.
    pub reason: String,
    /// Where it was reported or decided.
    pub link: String,
    /// Line of the entry's first field, for messages.
    pub line: usize,
}

/// A parsed known-findings file.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct KnownList {
    /// The entries, in file order.
    pub entries: Vec<KnownEntry>,
}

impl KnownList {
    /// Parses the text of `file` (the name is used in error messages only).
    pub fn parse(file: &str, text: &str) -> Result<KnownList, String> {
        let mut entries = Vec::new();
        let mut cur: Vec<(usize, &str, &str)> = Vec::new();
        let mut finish = |cur: &mut Vec<(usize, &str, &str)>| -> Result<(), String> {
            if cur.is_empty() {
                return Ok(());
            }
            let line = cur[0].0;
            let get = |name: &str| cur.iter().find(|f| f.1 == name).map(|f| f.2.to_string());
            let need = |name: &str| {
                get(name).ok_or_else(|| {
                    format!("{file}:{line}: the entry starting here has no `{name}:` line")
                })
            };
            entries.push(KnownEntry {
                title: need("title")?,
                reason: need("reason")?,
                link: need("link")?,
                line,
            });
            cur.clear();
            Ok(())
        };
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let l = raw.trim();
            if l.starts_with('#') {
                continue;
            }
            if l.is_empty() {
                finish(&mut cur)?;
                continue;
            }
            let Some((name, value)) = l.split_once(':') else {
                return Err(format!("{file}:{n}: expected `field: value`, got `{l}`"));
            };
            let name = name.trim();
            if !matches!(name, "title" | "reason" | "link") {
                return Err(format!(
                    "{file}:{n}: unknown field `{name}` (expected title, reason or link)"
                ));
            }
            if cur.iter().any(|f| f.1 == name) {
                return Err(format!("{file}:{n}: `{name}` given twice in one entry"));
            }
            cur.push((n, name, value.trim()));
        }
        finish(&mut cur)?;
        Ok(KnownList { entries })
    }

    /// The entry that covers finding `f`, if any.
    pub fn lookup(&self, f: &Finding) -> Option<&KnownEntry> {
        self.lookup_title(&f.title)
    }

    /// The first entry whose pattern matches a finding's title.
    pub fn lookup_title(&self, title: &str) -> Option<&KnownEntry> {
        self.entries.iter().find(|e| glob(&e.title, title))
    }
}

/// `*`-only glob match of `text` against `pat`.
pub fn glob(pat: &str, text: &str) -> bool {
    let parts: Vec<&str> = pat.split('*').collect();
    if parts.len() == 1 {
        return pat == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_stars_anywhere() {
        assert!(glob("a*c", "abc"));
        assert!(glob("a*c", "ac"));
        assert!(glob("*", ""));
        assert!(glob("register_dax-v4*", "register_dax-v4-fixed"));
        assert!(!glob("register_dax-v4", "register_dax-v4-fixed"));
        assert!(glob("a*b*c", "a-b-b-c"));
        assert!(!glob("a*b*c", "a-c-b"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn parse_errors_name_file_and_line() {
        let e = KnownList::parse("k.txt", "title: x\nreason: y\n").unwrap_err();
        assert_eq!(e, "k.txt:1: the entry starting here has no `link:` line");
        let e = KnownList::parse("k.txt", "# c\n\ntitle x\n").unwrap_err();
        assert_eq!(e, "k.txt:3: expected `field: value`, got `title x`");
        let e = KnownList::parse("k.txt", "key: x\n").unwrap_err();
        assert!(e.starts_with("k.txt:1: unknown field `key`"), "{e}");
        let e = KnownList::parse("k.txt", "title: a\ntitle: b\n").unwrap_err();
        assert_eq!(e, "k.txt:2: `title` given twice in one entry");
    }

    #[test]
    fn parse_reads_blocks() {
        let k = KnownList::parse(
            "k.txt",
            "# header\ntitle: a | *\nreason: r\nlink: l\n\n\ntitle: b\nreason: r2\nlink: l2\n",
        )
        .unwrap();
        assert_eq!(k.entries.len(), 2);
        assert_eq!(k.entries[1].title, "b");
        assert_eq!(k.entries[1].line, 7);
    }
}

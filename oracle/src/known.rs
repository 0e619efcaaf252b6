//! Known findings: a reviewed list of differences that are already understood — intended by
//! a design, or already reported on the list — so that campaigns skip them and go on to new
//! ones. Every entry says why and links to where it was discussed.
//!
//! Format (one entry per block, blocks separated by blank lines, `#` starts a comment line):
//!
//! ```text
//! designs: register_dax-v4*, mainline
//! key: ownership | soft-reserved N-N | owner hmem | owner nobody
//! reason: the series' fallback: HMEM takes what CXL does not claim
//! link: https://lore.kernel.org/all/…/
//! ```
//!
//! `key` is matched against [`crate::Difference::key`]; `*` in `key` or in a design name matches
//! any text. `designs` (optional) is the ordered pair the entry applies to.

use crate::Difference;

/// One reviewed entry.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KnownEntry {
    /// The design pair it applies to (patterns), or any pair.
    pub designs: Option<(String, String)>,
    /// The difference key pattern.
    pub key: String,
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
            let designs = match get("designs") {
                None => None,
                Some(d) => {
                    let parts: Vec<&str> = d.split(',').map(str::trim).collect();
                    match parts[..] {
                        [x, y] if !x.is_empty() && !y.is_empty() => {
                            Some((x.to_string(), y.to_string()))
                        }
                        _ => {
                            let l = cur.iter().find(|f| f.1 == "designs").map_or(line, |f| f.0);
                            return Err(format!(
                                "{file}:{l}: expected `designs: A, B` (two design names), got `{d}`"
                            ));
                        }
                    }
                }
            };
            entries.push(KnownEntry {
                designs,
                key: need("key")?,
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
            if !matches!(name, "designs" | "key" | "reason" | "link") {
                return Err(format!(
                    "{file}:{n}: unknown field `{name}` (expected designs, key, reason or link)"
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

    /// The entry that covers difference `d` between designs `a` and `b`, if any.
    pub fn lookup(&self, a: &str, b: &str, d: &Difference) -> Option<&KnownEntry> {
        let key = d.key();
        self.entries.iter().find(|e| {
            e.designs
                .as_ref()
                .is_none_or(|(x, y)| glob(x, a) && glob(y, b))
                && glob(&e.key, &key)
        })
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
        let e = KnownList::parse("k.txt", "key: x\nreason: y\n").unwrap_err();
        assert_eq!(e, "k.txt:1: the entry starting here has no `link:` line");
        let e = KnownList::parse("k.txt", "# c\n\nkey x\n").unwrap_err();
        assert_eq!(e, "k.txt:3: expected `field: value`, got `key x`");
        let e = KnownList::parse("k.txt", "title: x\n").unwrap_err();
        assert!(e.starts_with("k.txt:1: unknown field `title`"), "{e}");
        let e = KnownList::parse("k.txt", "designs: a\nkey: k\nreason: r\nlink: l\n").unwrap_err();
        assert!(e.starts_with("k.txt:1: expected `designs: A, B`"), "{e}");
    }

    #[test]
    fn parse_reads_blocks() {
        let k = KnownList::parse(
            "k.txt",
            "# header\nkey: a | *\nreason: r\nlink: l\n\ndesigns: x, y*\nkey: b\nreason: r2\nlink: l2\n",
        )
        .unwrap();
        assert_eq!(k.entries.len(), 2);
        assert_eq!(k.entries[1].designs, Some(("x".into(), "y*".into())));
        assert_eq!(k.entries[1].line, 6);
    }
}

//! Scenario files: what is read from disk and written to it, recognized by content.
//!
//! Three kinds of file hold a scenario:
//!
//! * **scenario text** ([`super::text`]): the repro. It replays on every later srfuzz. A
//!   saved one starts with a stamp of what made it and, for a finding, which one:
//!
//!   ```text
//!   # srfuzz scenario, format 1
//!   # srfuzz: 0.1.0, generator 2
//!   # check: differential register_dax-v4,mainline
//!   # finding: region divergence [register_dax-v4 vs mainline, DEV_DAX_HMEM=n]: …
//!   ```
//!
//!   These `# key: value` lines (the leading comment block, [`Meta`]) are comments to the
//!   parser, so a stamped file is plain scenario text;
//! * **stamped raw input**: one line `srfuzz-raw generator=N quirks=a,b`, then the fuzzer's
//!   bytes. Raw bytes mean something only to the generator that read them
//!   ([`gen::GENERATOR_VERSION`]): one of a version this srfuzz still decodes
//!   ([`gen::GENERATOR_VERSIONS`]) is decoded by that version, one of any other is refused,
//!   never decoded into an unrelated scenario;
//! * **bare raw input**: a libFuzzer artifact, bytes and nothing else; decoded by today's
//!   generator, or by the one the campaign that wrote it recorded next to it (see
//!   `crate::triage`).
//!
//! The file name never decides: a file whose first line is text starting with `#` or `[`
//! is scenario text, and one that then fails to parse is an error with its line, never
//! fuzzer bytes (`--raw` forces the other reading, for the rare fuzzer input that looks like
//! text).

use super::{gen, text, Quirks, Scenario};
use std::path::{Path, PathBuf};

/// The text format's version: what `# srfuzz scenario, format N` says. A file from a newer
/// format is refused with a message saying so.
pub const FORMAT: u32 = 1;

/// The srfuzz version, as stamps record it.
pub const SRFUZZ_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The first bytes of a stamped raw input.
pub const RAW_MAGIC: &str = "srfuzz-raw ";

/// What kind of file, by content.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Scenario text.
    Text,
    /// Raw fuzzer bytes behind a `srfuzz-raw` stamp.
    StampedRaw,
    /// Raw fuzzer bytes.
    BareRaw,
}

/// Recognizes a file's kind from its bytes: scenario text has a first non-blank line starting
/// with `#` or `[` and no control byte anywhere (tabs and line ends aside); fuzzer bytes almost
/// never pass both.
pub fn kind_of(bytes: &[u8]) -> Kind {
    let bytes = strip_bom(bytes);
    if bytes.starts_with(RAW_MAGIC.as_bytes()) {
        return Kind::StampedRaw;
    }
    if bytes.is_empty() {
        return Kind::Text;
    }
    let first = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.trim_ascii_start())
        .find(|l| !l.is_empty());
    let starts_like_text = first.is_some_and(|l| l[0] == b'#' || l[0] == b'[');
    let no_control = !bytes
        .iter()
        .any(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f);
    if starts_like_text && no_control {
        Kind::Text
    } else {
        Kind::BareRaw
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// The `# key: value` lines of a scenario text's leading comment block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// `# srfuzz scenario, format N`.
    pub format: Option<u32>,
    /// `# srfuzz: VERSION, generator N`: the srfuzz version that wrote the file.
    pub srfuzz: Option<String>,
    /// The generator version of the srfuzz that wrote it.
    pub generator: Option<u32>,
    /// `# check: NAME [a,b]`.
    pub check: Option<String>,
    /// `# finding: TITLE`.
    pub finding: Option<String>,
    /// `# raw: FILE`: the raw input the scenario was decoded from, kept beside it.
    pub raw: Option<String>,
}

impl Meta {
    /// The stamp for a file this srfuzz writes now.
    pub fn now() -> Meta {
        Meta {
            format: Some(FORMAT),
            srfuzz: Some(SRFUZZ_VERSION.to_string()),
            generator: Some(gen::GENERATOR_VERSION),
            ..Meta::default()
        }
    }

    /// Reads the leading comment block of `text` (stops at the first line that is not a
    /// comment or blank).
    pub fn parse(text: &str) -> Meta {
        let mut m = Meta::default();
        for line in text.lines() {
            let t = line.trim().trim_start_matches('\u{feff}');
            if t.is_empty() {
                continue;
            }
            let Some(c) = t.strip_prefix('#') else {
                break;
            };
            let c = c.trim();
            if let Some(v) = c.strip_prefix("srfuzz scenario, format ") {
                m.format = v.trim().parse().ok();
            } else if let Some(v) = c.strip_prefix("srfuzz: ") {
                let (ver, rest) = v.split_once(',').unwrap_or((v, ""));
                m.srfuzz = Some(ver.trim().to_string());
                m.generator = rest
                    .trim()
                    .strip_prefix("generator ")
                    .and_then(|g| g.trim().parse().ok());
            } else if let Some(v) = c.strip_prefix("check: ") {
                m.check = Some(v.trim().to_string());
            } else if let Some(v) = c.strip_prefix("finding: ") {
                m.finding = Some(v.trim().to_string());
            } else if let Some(v) = c.strip_prefix("raw: ") {
                m.raw = Some(v.trim().to_string());
            }
        }
        m
    }

    /// The stamp as comment lines (each ends with a newline). The finding's title is one line
    /// however long: it is a key, read back exactly.
    pub fn render(&self) -> String {
        let mut o = String::new();
        if let Some(f) = self.format {
            o.push_str(&format!("# srfuzz scenario, format {f}\n"));
        }
        if let Some(v) = &self.srfuzz {
            match self.generator {
                Some(g) => o.push_str(&format!("# srfuzz: {v}, generator {g}\n")),
                None => o.push_str(&format!("# srfuzz: {v}\n")),
            }
        }
        if let Some(c) = &self.check {
            o.push_str(&format!("# check: {c}\n"));
        }
        if let Some(f) = &self.finding {
            o.push_str(&format!("# finding: {f}\n"));
        }
        if let Some(r) = &self.raw {
            o.push_str(&format!("# raw: {r}\n"));
        }
        o
    }
}

/// The text of `s` behind the stamp `meta` (the printer's own first line replaced).
pub fn stamped_text(s: &Scenario, meta: &Meta) -> String {
    let body = text::print(s);
    let body = body
        .strip_prefix(text::HEADER)
        .map(|b| b.strip_prefix('\n').unwrap_or(b))
        .unwrap_or(&body);
    format!("{}{body}", meta.render())
}

/// A stamped raw input of this srfuzz's generator: the `srfuzz-raw` line, then `data`.
pub fn stamped_raw(data: &[u8], quirks: Quirks) -> Vec<u8> {
    stamped_raw_of(gen::GENERATOR_VERSION, data, quirks)
}

/// A stamped raw input of generator `generator` (the version that decoded `data`: raw input
/// read from an older stamp keeps its version when written again).
pub fn stamped_raw_of(generator: u32, data: &[u8], quirks: Quirks) -> Vec<u8> {
    let q: Vec<String> = quirks.iter().map(|q| q.to_string()).collect();
    let mut out = format!("{RAW_MAGIC}generator={generator} quirks={}\n", q.join(",")).into_bytes();
    out.extend_from_slice(data);
    out
}

/// How a file was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Scenario text, with its stamp.
    Text(Meta),
    /// Raw bytes, stamped or bare, decoded by generator `generator` with these quirks.
    Raw {
        /// The raw bytes (without a stamp).
        data: Vec<u8>,
        /// The quirks the generator was allowed.
        quirks: Quirks,
        /// Whether the file carried a `srfuzz-raw` stamp.
        stamped: bool,
        /// The generator version that decoded them (the stamp's, the campaign's record, or
        /// this srfuzz's for bare bytes without a record).
        generator: u32,
    },
}

/// A scenario read from a file.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file.
    pub path: PathBuf,
    /// The scenario.
    pub scenario: Scenario,
    /// How it was read.
    pub origin: Origin,
}

impl Loaded {
    /// The stamp of a text file (empty for raw input).
    pub fn meta(&self) -> Meta {
        match &self.origin {
            Origin::Text(m) => m.clone(),
            Origin::Raw { .. } => Meta::default(),
        }
    }
}

/// How to read files whose content leaves a choice open.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Read every file as bare raw input (`--raw`).
    pub force_raw: bool,
    /// The quirks bare raw input was generated with (`SRFUZZ_QUIRKS`, or a campaign's record).
    pub bare_quirks: Quirks,
    /// The generator version bare raw input came from, when a campaign recorded it: decoded
    /// by that version if this srfuzz has it ([`gen::GENERATOR_VERSIONS`]), else refused.
    pub bare_generator: Option<u32>,
}

/// A file that could not be read as a scenario. Displays as `FILE: line N: what was expected`
/// (or `FILE: what`), the form editors jump to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// The 1-based line, when the problem has one.
    pub line: Option<usize>,
    /// What was wrong and what was expected.
    pub msg: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {l}: {}", self.path.display(), self.msg),
            None => write!(f, "{}: {}", self.path.display(), self.msg),
        }
    }
}

impl std::error::Error for FileError {}

/// Reads the scenario in `path`, recognizing its kind by content (see the module docs).
pub fn load(path: &Path, opts: ReadOptions) -> Result<Loaded, FileError> {
    let err = |line: Option<usize>, msg: String| FileError {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let bytes = std::fs::read(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    let kind = if opts.force_raw {
        Kind::BareRaw
    } else {
        kind_of(&bytes)
    };
    let (scenario, origin) = match kind {
        Kind::Text => {
            let body = strip_bom(&bytes);
            let text = std::str::from_utf8(body).map_err(|e| {
                let at = e.valid_up_to();
                let line = body[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                err(
                    Some(line),
                    format!(
                        "not UTF-8 text (byte {:#04x}): scenario text must be UTF-8 \
                         (use --raw if this is a fuzzer input)",
                        body[at]
                    ),
                )
            })?;
            let meta = Meta::parse(text);
            if let Some(f) = meta.format.filter(|&f| f > FORMAT) {
                return Err(err(
                    Some(1),
                    format!(
                        "scenario format {f} is newer than this srfuzz ({SRFUZZ_VERSION}) reads \
                         (format {FORMAT}): update srfuzz"
                    ),
                ));
            }
            let s = text::parse(text).map_err(|e| err(Some(e.line), e.msg))?;
            (s, Origin::Text(meta))
        }
        Kind::StampedRaw => {
            let nl = bytes
                .iter()
                .position(|&b| b == b'\n')
                .unwrap_or(bytes.len());
            let header = std::str::from_utf8(&bytes[RAW_MAGIC.len()..nl])
                .map_err(|_| err(Some(1), "the srfuzz-raw line is not UTF-8".into()))?;
            let (generator, quirks) = parse_raw_header(header).map_err(|m| err(Some(1), m))?;
            check_generator(generator).map_err(|m| err(Some(1), m))?;
            let data = bytes.get(nl + 1..).unwrap_or(&[]).to_vec();
            let s = gen::scenario_from_bytes_of(generator, &data, quirks);
            (
                s,
                Origin::Raw {
                    data,
                    quirks,
                    stamped: true,
                    generator,
                },
            )
        }
        Kind::BareRaw => {
            let generator = opts.bare_generator.unwrap_or(gen::GENERATOR_VERSION);
            check_generator(generator).map_err(|m| err(None, m))?;
            let s = gen::scenario_from_bytes_of(generator, &bytes, opts.bare_quirks);
            (
                s,
                Origin::Raw {
                    data: bytes,
                    quirks: opts.bare_quirks,
                    stamped: false,
                    generator,
                },
            )
        }
    };
    Ok(Loaded {
        path: path.to_path_buf(),
        scenario,
        origin,
    })
}

/// `generator=N quirks=a,b` of a stamped raw input.
fn parse_raw_header(h: &str) -> Result<(u32, Quirks), String> {
    let mut generator = None;
    let mut quirks = Quirks::NONE;
    for tok in h.split_whitespace() {
        match tok.split_once('=') {
            Some(("generator", v)) => {
                generator = Some(v.parse::<u32>().map_err(|_| {
                    format!("bad generator version `{v}` in the srfuzz-raw line: expected a number")
                })?)
            }
            Some(("quirks", v)) => quirks = Quirks::parse_list(v)?,
            _ => {
                return Err(format!(
                    "unexpected `{tok}` in the srfuzz-raw line: expected `generator=N quirks=a,b`"
                ))
            }
        }
    }
    let g = generator.ok_or_else(|| {
        "the srfuzz-raw line has no `generator=N`: expected `generator=N quirks=a,b`".to_string()
    })?;
    Ok((g, quirks))
}

/// Whether this srfuzz decodes raw input of generator `g` as that generator did.
pub fn check_generator(g: u32) -> Result<(), String> {
    if gen::GENERATOR_VERSIONS.contains(&g) {
        return Ok(());
    }
    let known: Vec<String> = gen::GENERATOR_VERSIONS
        .iter()
        .map(|v| v.to_string())
        .collect();
    Err(format!(
        "raw input from generator version {g}, but this srfuzz ({SRFUZZ_VERSION}) decodes \
         generator versions {} only: its bytes would decode to another scenario. Replay the \
         scenario text saved with it instead",
        match known.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    ))
}

/// The files below `paths`, sorted within each directory so runs are in a stable order. A
/// directory walk takes scenario inputs only — `.scn`, `.raw` and extension-less files (what
/// libFuzzer writes: artifacts and corpus entries) — and skips hidden files and campaign
/// records (`srfuzz-campaign.txt`); a file named in `paths` is always taken.
pub fn inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>, top: bool) -> Result<(), String> {
        let meta = std::fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect())
                .map_err(|e| format!("{}: {e}", p.display()))?;
            entries.sort();
            for e in entries {
                walk(&e, out, false)?;
            }
            return Ok(());
        }
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let input = !name.starts_with('.')
            && match p.extension().and_then(|e| e.to_str()) {
                None => true,
                Some(e) => e == "scn" || e == "raw",
            };
        if top || input {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out, true)?;
    }
    Ok(out)
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, then a
/// rename, so that an interrupted write never leaves half a repro.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = match dir {
        Some(d) => d.join(format!(".{name}.tmp{}", std::process::id())),
        None => PathBuf::from(format!(".{name}.tmp{}", std::process::id())),
    };
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printer_writes_this_format() {
        assert_eq!(text::HEADER, format!("# srfuzz scenario, format {FORMAT}"));
    }

    #[test]
    fn kinds_by_content() {
        assert_eq!(kind_of(b""), Kind::Text);
        assert_eq!(kind_of(b"# srfuzz scenario\n[platform]\n"), Kind::Text);
        assert_eq!(kind_of(b"\xef\xbb\xbf[platform]\n"), Kind::Text);
        assert_eq!(kind_of(b"  \n[events]\nsettle\n"), Kind::Text);
        assert_eq!(
            kind_of(b"srfuzz-raw generator=1 quirks=\n\x00\x01"),
            Kind::StampedRaw
        );
        assert_eq!(kind_of(b"\x00\x01\xab"), Kind::BareRaw);
        assert_eq!(
            kind_of(b"#\x01\x02"),
            Kind::BareRaw,
            "control bytes are not text"
        );
        assert_eq!(
            kind_of(b"window 0x0"),
            Kind::BareRaw,
            "text starts with # or ["
        );
    }

    #[test]
    fn meta_round_trips() {
        let m = Meta {
            check: Some("differential a,b".into()),
            finding: Some("leak: x [a, DEV_DAX_HMEM=n]".into()),
            raw: Some("input.raw".into()),
            ..Meta::now()
        };
        assert_eq!(Meta::parse(&m.render()), m);
    }

    #[test]
    fn raw_header() {
        assert_eq!(
            parse_raw_header("generator=7 quirks="),
            Ok((7, Quirks::NONE))
        );
        assert!(parse_raw_header("quirks=").is_err());
        assert!(parse_raw_header("generator=1 color=red").is_err());
    }
}

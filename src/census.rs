//! Census: random scenarios judged with every check for a while, tallied by title — the quick
//! survey of what a minute of generation finds, new versus shared with mainline.

use crate::checks::Check;
use crate::scenario::{gen, Quirks, Scenario};
use srfuzz_oracle::KnownList;

/// One new title's tally.
#[derive(Clone, Debug)]
pub struct Tally {
    /// The check that found it.
    pub check: Check,
    /// The title.
    pub title: String,
    /// Scenarios that showed it.
    pub count: usize,
    /// The first of them.
    pub example: Scenario,
    /// Its raw bytes.
    pub raw: Vec<u8>,
}

/// What a census saw.
#[derive(Clone, Debug, Default)]
pub struct Census {
    /// Scenarios generated and judged.
    pub scenarios: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// New titles (neither known, declared nor shown by mainline), in order of first sight.
    pub new: Vec<Tally>,
    /// Distinct titles mainline shows too.
    pub pre_existing: Vec<String>,
}

/// Generates scenarios from the byte stream of `seed` (with `quirks` allowed) for `seconds`,
/// judging each with every check of `checks`.
pub fn census(
    seconds: f64,
    seed: u64,
    checks: &[Check],
    known: &KnownList,
    quirks: Quirks,
) -> Census {
    let mut stream = gen::ByteStream::new(seed);
    let mut c = Census::default();
    let start = std::time::Instant::now();
    while start.elapsed().as_secs_f64() < seconds {
        let len = 16 + stream.below(240);
        let raw = stream.bytes(len);
        let s = gen::scenario_from_bytes_with(&raw, quirks);
        c.scenarios += 1;
        for &check in checks {
            let v = check.verdict(&s, known);
            for f in v.new {
                match c
                    .new
                    .iter_mut()
                    .find(|t| t.check == check && t.title == f.title)
                {
                    Some(t) => t.count += 1,
                    None => c.new.push(Tally {
                        check,
                        title: f.title,
                        count: 1,
                        example: s.clone(),
                        raw: raw.clone(),
                    }),
                }
            }
            c.pre_existing
                .extend(v.pre_existing.into_iter().map(|f| f.title));
        }
        c.pre_existing.sort_unstable();
        c.pre_existing.dedup();
    }
    c.seconds = start.elapsed().as_secs_f64();
    c
}

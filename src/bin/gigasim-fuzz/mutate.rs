//! Seeded randomness and the byte/line/token mutations applied to shipped files.

/// SplitMix64: small, fast, and the same on every machine, so `--seed S --case K`
/// reruns a case exactly.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    /// The generator of case `k` of run `seed`: independent of the other cases, so
    /// a case can be rerun alone and workers can take cases in any order.
    pub fn for_case(seed: u64, k: u64) -> Self {
        let mut a = Rng(seed ^ 0x6a09_e667_f3bc_c909);
        let s = a.next_u64();
        let mut b = Rng(k.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ s);
        Rng(b.next_u64())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability p.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Values that break naive numeric code: zeros, signs, the extremes of f64, u32 and
/// u64, non-finite values, and sizes that blow up work.
pub const INTERESTING: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1e-300",
    "1e-9",
    "1e308",
    "-1e308",
    "4294967295",
    "18446744073709551616",
    "NaN",
    "inf",
    "-inf",
    "9",
    "1e6",
    "0.026",
    "1e-6",
    "100",
    "65536",
    "2147483648",
    "-9223372036854775808",
    "0.5",
    "1",
];

/// One mutation, for the record of a case.
pub fn mutate(rng: &mut Rng, data: &mut Vec<u8>, csv: bool) -> String {
    // Number replacement is the most productive: weight it.
    match rng.below(16) {
        0..=4 => replace_number(rng, data),
        5 => flip_bit(rng, data),
        6 => insert_bytes(rng, data),
        7 => delete_bytes(rng, data),
        8 => delete_line(rng, data),
        9 => duplicate_line(rng, data),
        10 => swap_tokens(rng, data),
        11 => copy_token(rng, data),
        12 => huge_string(rng, data),
        13 => invalid_utf8(rng, data),
        14 if csv => csv_cell(rng, data),
        14 => truncate(rng, data),
        _ => replace_number(rng, data),
    }
}

/// Spans of numbers: digits with an optional sign, fraction and exponent, not part of a word.
pub fn numbers(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < data.len() {
        let b = data[i];
        let starts = b.is_ascii_digit() && (i == 0 || !(word(data[i - 1]) || data[i - 1] == b'.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut s = i;
        if s > 0 && data[s - 1] == b'-' {
            s -= 1;
        }
        let mut e = i;
        while e < data.len() && (data[e].is_ascii_digit() || data[e] == b'_') {
            e += 1;
        }
        if e < data.len() && data[e] == b'.' && e + 1 < data.len() && data[e + 1].is_ascii_digit() {
            e += 1;
            while e < data.len() && data[e].is_ascii_digit() {
                e += 1;
            }
        }
        if e < data.len() && (data[e] == b'e' || data[e] == b'E') {
            let mut f = e + 1;
            if f < data.len() && (data[f] == b'-' || data[f] == b'+') {
                f += 1;
            }
            if f < data.len() && data[f].is_ascii_digit() {
                while f < data.len() && data[f].is_ascii_digit() {
                    f += 1;
                }
                e = f;
            }
        }
        if e < data.len() && word(data[e]) {
            // `72x`, `5th`: part of a word.
            i = e;
            continue;
        }
        out.push((s, e));
        i = e;
    }
    out
}

/// Identifier-like and number tokens.
fn tokens(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    let tok = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-';
    while i < data.len() {
        if tok(data[i]) {
            let s = i;
            while i < data.len() && tok(data[i]) {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

fn lines(data: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            out.push((s, i + 1));
            s = i + 1;
        }
    }
    if s < data.len() {
        out.push((s, data.len()));
    }
    out
}

fn replace_number(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let nums = numbers(data);
    if nums.is_empty() {
        return insert_bytes(rng, data);
    }
    let (s, e) = *rng.pick(&nums);
    let old = String::from_utf8_lossy(&data[s..e]).to_string();
    let new = *rng.pick(INTERESTING);
    data.splice(s..e, new.bytes());
    format!("number at byte {s}: {old} -> {new}")
}

fn flip_bit(rng: &mut Rng, data: &mut [u8]) -> String {
    if data.is_empty() {
        return "flip: empty".into();
    }
    let i = rng.below(data.len());
    let bit = rng.below(8);
    data[i] ^= 1 << bit;
    format!("flip bit {bit} of byte {i}")
}

fn insert_bytes(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let at = rng.below(data.len() + 1);
    const BITS: &[&str] =
        &["(", ")", "[", "]", "{", "}", ",", ":", "\"", "'", "\n", "//", "/*", "Some(", "None", "#", ";", "\\", "0", "-", "e", "."];
    let what: Vec<u8> = if rng.chance(0.5) {
        rng.pick(BITS).as_bytes().to_vec()
    } else if rng.chance(0.5) {
        rng.pick(INTERESTING).as_bytes().to_vec()
    } else {
        vec![rng.next_u64() as u8]
    };
    let shown = String::from_utf8_lossy(&what).to_string();
    data.splice(at..at, what);
    format!("insert {shown:?} at byte {at}")
}

fn delete_bytes(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    if data.is_empty() {
        return "delete: empty".into();
    }
    let at = rng.below(data.len());
    let n = (1 + rng.below(16)).min(data.len() - at);
    data.drain(at..at + n);
    format!("delete {n} bytes at byte {at}")
}

fn delete_line(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let ls = lines(data);
    if ls.is_empty() {
        return "delete line: empty".into();
    }
    let i = rng.below(ls.len());
    let (s, e) = ls[i];
    data.drain(s..e);
    format!("delete line {}", i + 1)
}

fn duplicate_line(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let ls = lines(data);
    if ls.is_empty() {
        return "duplicate line: empty".into();
    }
    let i = rng.below(ls.len());
    let (s, e) = ls[i];
    let mut line = data[s..e].to_vec();
    if !line.ends_with(b"\n") {
        line.insert(0, b'\n');
    }
    let n = if rng.chance(0.1) { 1 + rng.below(2000) } else { 1 };
    let at = if rng.chance(0.7) { e } else { ls[rng.below(ls.len())].0 };
    let copies: Vec<u8> = line.iter().copied().cycle().take(line.len() * n).collect();
    data.splice(at..at, copies);
    format!("duplicate line {} x{n}", i + 1)
}

fn swap_tokens(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let ts = tokens(data);
    if ts.len() < 2 {
        return delete_bytes(rng, data);
    }
    let (mut a, mut b) = (*rng.pick(&ts), *rng.pick(&ts));
    if a.0 > b.0 {
        std::mem::swap(&mut a, &mut b);
    }
    if a == b || a.1 > b.0 {
        return "swap: same token".into();
    }
    let ta = data[a.0..a.1].to_vec();
    let tb = data[b.0..b.1].to_vec();
    let shown = format!("swap {:?} and {:?}", String::from_utf8_lossy(&ta), String::from_utf8_lossy(&tb));
    data.splice(b.0..b.1, ta);
    data.splice(a.0..a.1, tb);
    shown
}

/// Replace one token by another token of the file (e.g. a field name by another).
fn copy_token(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let ts = tokens(data);
    if ts.len() < 2 {
        return delete_bytes(rng, data);
    }
    let a = *rng.pick(&ts);
    let b = *rng.pick(&ts);
    let tb = data[b.0..b.1].to_vec();
    let shown = format!("token {:?} -> {:?}", String::from_utf8_lossy(&data[a.0..a.1]), String::from_utf8_lossy(&tb));
    data.splice(a.0..a.1, tb);
    shown
}

fn huge_string(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let n = *rng.pick(&[1000usize, 70_000, 1_000_000]);
    let ch = *rng.pick(b"A9([\"");
    // Inside a string when there is one, else anywhere.
    let quotes: Vec<usize> = data.iter().enumerate().filter(|(_, b)| **b == b'"').map(|(i, _)| i + 1).collect();
    let at = if !quotes.is_empty() && rng.chance(0.6) { *rng.pick(&quotes) } else { rng.below(data.len() + 1) };
    data.splice(at..at, std::iter::repeat_n(ch, n));
    format!("insert {n} x {:?} at byte {at}", ch as char)
}

fn invalid_utf8(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    const BAD: &[&[u8]] = &[b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf0\x9f\x98", b"\x00", b"\xef\xbb\xbf"];
    let what = *rng.pick(BAD);
    let at = rng.below(data.len() + 1);
    data.splice(at..at, what.iter().copied());
    format!("insert bytes {what:x?} at byte {at}")
}

fn truncate(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let at = rng.below(data.len() + 1);
    data.truncate(at);
    format!("truncate at byte {at}")
}

/// CSV: a cell replaced by an odd value, or a row made short or long.
fn csv_cell(rng: &mut Rng, data: &mut Vec<u8>) -> String {
    let ls = lines(data);
    if ls.is_empty() {
        return truncate(rng, data);
    }
    let i = rng.below(ls.len());
    let (s, e) = ls[i];
    let line = String::from_utf8_lossy(&data[s..e]).trim_end_matches('\n').to_string();
    let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
    let what = match rng.below(4) {
        0 => {
            let c = rng.below(cells.len());
            cells[c] = rng.pick(&["", "x", "NaN", "inf", "-1", "1e308", "\"", "\"a,b\"", " 1"]).to_string();
            format!("cell {} of line {}", c + 1, i + 1)
        }
        1 => {
            cells.truncate(rng.below(cells.len()).max(1));
            format!("short line {}", i + 1)
        }
        2 => {
            cells.push("1".into());
            format!("long line {}", i + 1)
        }
        _ => {
            let c = rng.below(cells.len());
            cells[c] = rng.pick(INTERESTING).to_string();
            format!("cell {} of line {} interesting", c + 1, i + 1)
        }
    };
    let mut new = cells.join(",");
    if data[s..e].ends_with(b"\n") {
        new.push('\n');
    }
    data.splice(s..e, new.into_bytes());
    what
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_but_not_inside_words() {
        let t = b"a: 1.5e-3, b: -2, c: gb200, d: 1_000, e: 0.25";
        let n: Vec<String> = numbers(t).iter().map(|(s, e)| String::from_utf8_lossy(&t[*s..*e]).to_string()).collect();
        assert_eq!(n, ["1.5e-3", "-2", "1_000", "0.25"]);
    }
}

//! A list of (key, line) pairs whose keys strictly increase, held in a few
//! bytes a pair: every [`BLOCK`]th pair in full in an index, the others as the
//! differences from the pair before (variable-length integers). A key is
//! found exactly, with its line, by a binary search of the index and the
//! decoding of at most one block. Pushing a key not above the last one is
//! refused (the caller holds such keys elsewhere), so the list is always
//! sorted and a lookup never misses a key it holds.

/// Pairs per block: one full pair in the index per block.
const BLOCK: usize = 256;

/// Strictly increasing keys, each with a line.
#[derive(Debug, Default)]
pub(crate) struct SortedKeys {
    /// (key, line, offset in `deltas` of the block's other pairs), per block.
    index: Vec<(u64, u64, usize)>,
    /// The pairs after each block's first: key difference, then line
    /// difference (zigzag), as LEB128 integers.
    deltas: Vec<u8>,
    len: usize,
    last: Option<(u64, u64)>,
}

impl SortedKeys {
    /// The last key pushed.
    #[cfg(test)]
    pub(crate) fn last_key(&self) -> Option<u64> {
        self.last.map(|(k, _)| k)
    }

    /// Pairs held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Add `key` with `line` when it is above every key held; `false` (and
    /// nothing added) otherwise.
    pub(crate) fn push(&mut self, key: u64, line: u64) -> bool {
        match self.last {
            Some((k, l)) if key > k => {
                if self.len.is_multiple_of(BLOCK) {
                    self.index.push((key, line, self.deltas.len()));
                } else {
                    put(&mut self.deltas, key - k);
                    let d = line.wrapping_sub(l) as i64;
                    put(&mut self.deltas, ((d << 1) ^ (d >> 63)) as u64);
                }
            }
            Some(_) => return false,
            None => self.index.push((key, line, self.deltas.len())),
        }
        self.len += 1;
        self.last = Some((key, line));
        true
    }

    /// The line of `key`, when it is held.
    pub(crate) fn get(&self, key: u64) -> Option<u64> {
        let block = self.index.partition_point(|e| e.0 <= key).checked_sub(1)?;
        let (mut k, mut l, mut at) = self.index[block];
        let end = self.index.get(block + 1).map_or(self.deltas.len(), |e| e.2);
        while k < key && at < end {
            k += take(&self.deltas, &mut at);
            let z = take(&self.deltas, &mut at);
            l = l.wrapping_add(((z >> 1) as i64 ^ -((z & 1) as i64)) as u64);
        }
        (k == key).then_some(l)
    }
}

/// Append `v` as a LEB128 integer.
fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The LEB128 integer at `*at`, moving `*at` past it.
fn take(bytes: &[u8], at: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SYNTHETIC keys: 10,000 increasing keys with gaps of 1 to 2^40 and lines
    /// that mostly rise by one but sometimes fall; every key is found with its
    /// line, every key between them and beyond them is not, and a key not
    /// above the last is refused.
    #[test]
    fn every_key_held_is_found_with_its_line_and_no_other() {
        let mut s = SortedKeys::default();
        let (mut key, mut line) = (5u64, 2u64);
        let mut held = Vec::new();
        for i in 0..10_000u64 {
            held.push((key, line));
            assert!(s.push(key, line));
            let gap = 1 + (i * 7_919) % (1 << (i % 41));
            key += gap;
            line = if i % 97 == 0 {
                line - 1
            } else {
                line + 1 + i % 3
            };
        }
        assert_eq!(s.len(), 10_000);
        assert!(!s.push(held[9_999].0, 1));
        assert!(!s.push(3, 1));
        for (i, &(k, l)) in held.iter().enumerate() {
            assert_eq!(s.get(k), Some(l), "key {i}");
            if i + 1 < held.len() && held[i + 1].0 > k + 1 {
                assert_eq!(s.get(k + 1), None);
            }
        }
        assert_eq!(s.get(0), None);
        assert_eq!(s.get(4), None);
        assert_eq!(s.get(u64::MAX), None);
        assert_eq!(s.last_key(), Some(held[9_999].0));
        // A few bytes a pair.
        assert!(s.deltas.len() < 10_000 * 8, "{}", s.deltas.len());
    }
}

//! Interned path components: every distinct file name is stored once, and
//! the tree refers to it by a 4-byte id. `site-packages`, `__init__.py` and
//! `LICENSE` appear tens of thousands of times in an ML image.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub type NameId = u32;

/// A small multiply-rotate hasher for integer keys (the tree's
/// `(parent, name)` map); SipHash's DoS resistance buys nothing for ids.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub type IdBuild = BuildHasherDefault<IdHasher>;

#[derive(Default, Debug)]
pub struct Names {
    bytes: Vec<u8>,
    spans: Vec<(u32, u32)>,
    /// xxh3 of the name → first id with that hash; collisions chain through
    /// `next_same`.
    by_hash: HashMap<u64, NameId, IdBuild>,
    next_same: Vec<NameId>,
}

const NO_NAME: NameId = NameId::MAX;

impl Names {
    pub fn intern(&mut self, name: &[u8]) -> NameId {
        let h = twox_hash::XxHash3_64::oneshot(name);
        let mut cur = self.by_hash.get(&h).copied().unwrap_or(NO_NAME);
        let head = cur;
        while cur != NO_NAME {
            if self.get(cur) == name {
                return cur;
            }
            cur = self.next_same[cur as usize];
        }
        let id = NameId::try_from(self.spans.len()).unwrap_or(NO_NAME - 1);
        let start = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(name);
        self.spans
            .push((start, u32::try_from(name.len()).unwrap_or(0)));
        self.next_same.push(head);
        self.by_hash.insert(h, id);
        id
    }

    /// The id of a name already interned, without adding it.
    pub fn find(&self, name: &[u8]) -> Option<NameId> {
        let h = twox_hash::XxHash3_64::oneshot(name);
        let mut cur = self.by_hash.get(&h).copied().unwrap_or(NO_NAME);
        while cur != NO_NAME {
            if self.get(cur) == name {
                return Some(cur);
            }
            cur = self.next_same[cur as usize];
        }
        None
    }

    pub fn get(&self, id: NameId) -> &[u8] {
        let (s, l) = self.spans[id as usize];
        &self.bytes[s as usize..(s + l) as usize]
    }

    /// Heap bytes held, for the memory report.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
            + self.spans.capacity() * 8
            + self.next_same.capacity() * 4
            + self.by_hash.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_lossless() {
        let mut n = Names::default();
        let a = n.intern(b"site-packages");
        let b = n.intern(b"caf\xe9");
        assert_eq!(n.intern(b"site-packages"), a);
        assert_ne!(a, b);
        assert_eq!(n.get(b), b"caf\xe9");
        assert_eq!(n.intern(b""), n.intern(b""));
    }
}

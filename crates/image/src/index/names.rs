//! Interned path components: every distinct file name is stored once, and
//! the tree refers to it by a 4-byte id. `site-packages`, `__init__.py` and
//! `LICENSE` appear tens of thousands of times in an ML image.

use std::hash::{BuildHasherDefault, Hasher};

use super::idtable::IdTable;

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
    /// Ids by the xxh3 of their name: 4 bytes a slot, the name read back
    /// from `bytes` to compare.
    by_hash: IdTable,
}

const NO_NAME: NameId = NameId::MAX;

impl Names {
    pub fn intern(&mut self, name: &[u8]) -> NameId {
        let h = twox_hash::XxHash3_64::oneshot(name);
        if let Some(id) = self.find_hashed(h, name) {
            return id;
        }
        let id = NameId::try_from(self.spans.len()).unwrap_or(NO_NAME - 1);
        let start = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(name);
        self.spans
            .push((start, u32::try_from(name.len()).unwrap_or(0)));
        let (bytes, spans) = (&self.bytes, &self.spans);
        self.by_hash.insert(h, id, |i| {
            let (s, l) = spans[i as usize];
            twox_hash::XxHash3_64::oneshot(&bytes[s as usize..(s + l) as usize])
        });
        id
    }

    /// The id of a name already interned, without adding it.
    pub fn find(&self, name: &[u8]) -> Option<NameId> {
        self.find_hashed(twox_hash::XxHash3_64::oneshot(name), name)
    }

    fn find_hashed(&self, h: u64, name: &[u8]) -> Option<NameId> {
        self.by_hash.find(h, |id| self.get(id) == name)
    }

    pub fn get(&self, id: NameId) -> &[u8] {
        let (s, l) = self.spans[id as usize];
        &self.bytes[s as usize..(s + l) as usize]
    }

    /// Heap bytes held, for the memory report.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.spans.capacity() * 8 + self.by_hash.heap_bytes()
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

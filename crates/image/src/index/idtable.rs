//! A hash set of `u32` ids whose keys live elsewhere: the caller hashes a
//! key and says whether an id is it. A map from `(parent, name)` to a node
//! id then costs 4 bytes a slot instead of a tuple key, a value and a
//! control byte: at a million paths, 8 MB instead of 27.
//!
//! Open addressing, linear probing, at most three quarters full; ids are
//! never removed. Slot positions come from the hash's high bits after a
//! multiply, so a weak hash of small integers still spreads.

const EMPTY: u32 = u32::MAX;

#[derive(Debug, Default, Clone)]
pub struct IdTable {
    slots: Vec<u32>,
    len: usize,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl IdTable {
    /// Room for `n` ids before the table grows.
    pub fn with_capacity(n: usize) -> Self {
        let mut t = IdTable::default();
        t.resize(n);
        t
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * 4
    }

    fn slot(&self, hash: u64) -> usize {
        (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> self.shift) as usize
    }

    /// The id whose key hashes to `hash` and satisfies `is_key`.
    pub fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(hash);
        loop {
            let id = self.slots[i];
            if id == EMPTY {
                return None;
            }
            if is_key(id) {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds `id` (not already present, never `u32::MAX`) under `hash`;
    /// `hash_of` rehashes the ids already in when the table grows.
    pub fn insert(&mut self, hash: u64, id: u32, mut hash_of: impl FnMut(u32) -> u64) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let old = std::mem::take(&mut self.slots);
            self.resize((self.len + 1) * 2);
            for old_id in old.into_iter().filter(|&x| x != EMPTY) {
                self.place(hash_of(old_id), old_id);
            }
        }
        self.place(hash, id);
        self.len += 1;
    }

    fn place(&mut self, hash: u64, id: u32) {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(hash);
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = id;
    }

    /// Empty slots for `n` ids at three quarters full (old ids dropped).
    fn resize(&mut self, n: usize) {
        let slots = (n.max(3) * 4 / 3 + 1).next_power_of_two();
        self.slots = vec![EMPTY; slots];
        self.shift = 64 - slots.trailing_zeros();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_across_growth_and_colliding_hashes() {
        let keys: Vec<u64> = (0..10_000u64).map(|i| i * 7919).collect();
        // Every fourth key shares a hash with its neighbour: probing must
        // still tell them apart by `is_key`.
        let hash = |k: u64| k / 2;
        let mut t = IdTable::with_capacity(4);
        for (id, &k) in keys.iter().enumerate() {
            assert_eq!(t.find(hash(k), |i| keys[i as usize] == k), None);
            t.insert(hash(k), id as u32, |i| hash(keys[i as usize]));
        }
        assert_eq!(t.len(), keys.len());
        for (id, &k) in keys.iter().enumerate() {
            assert_eq!(t.find(hash(k), |i| keys[i as usize] == k), Some(id as u32));
        }
        assert_eq!(t.find(hash(1), |i| keys[i as usize] == 1), None);
        assert!(t.heap_bytes() >= keys.len() * 4 * 4 / 3);
    }
}

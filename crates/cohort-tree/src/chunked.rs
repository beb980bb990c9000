//! A vector stored in fixed-size chunks that copies share and that is copied on write one chunk
//! at a time.
//!
//! A commit stages its next epoch on a copy of the ratchet tree and changes one path: with the
//! slots in one `Vec`, the copy (and dropping the old tree later) touched every one of the
//! `2N` slots, which at 50,000 members cost more than the commit's cryptography. Here a copy
//! touches `2N / CHUNK` chunk pointers, and a change copies the one chunk it lands in.

use std::sync::{Arc, OnceLock};

/// Slots per chunk.
pub(crate) const CHUNK: usize = 64;

/// One chunk: its slots, and a memo of the concatenated encodings of its slots (the ratchet
/// tree keeps a chunk's encoding there).
///
/// A slot written through [`Chunked::get_mut`] does not throw the memo away: the last memo is
/// kept as the *base*, with the written slots marked, and the next [`Chunk::memo`] re-encodes
/// only those and copies the other slots' bytes from the base. A commit changes a few slots of
/// a chunk (one node of its path, a hash), so storing the tree after it re-encodes those few
/// and copies the rest, instead of re-encoding the chunk's 64 leaves and parents. A change of
/// the number of slots drops the base.
#[derive(Debug)]
pub(crate) struct Chunk<T> {
    items: Vec<T>,
    memo: OnceLock<Arc<Memo>>,
    /// The memo before the last writes, and which slots were written since (bit `j` for slot
    /// `j`); `None` when there is none to reuse.
    base: Option<(Arc<Memo>, u64)>,
}

/// A chunk's encoding: the bytes of its slots in order, and where each slot's bytes end.
#[derive(Debug)]
pub(crate) struct Memo {
    bytes: Box<[u8]>,
    ends: Box<[usize]>,
}

impl<T> Chunk<T> {
    fn new(items: Vec<T>) -> Self {
        Self {
            items,
            memo: OnceLock::new(),
            base: None,
        }
    }

    /// The slots, for a change of their number: the memo goes, and no base is kept.
    fn items_mut(&mut self) -> &mut Vec<T> {
        self.memo = OnceLock::new();
        self.base = None;
        &mut self.items
    }

    /// Slot `j`, for writing: the memo becomes the base (if there is none yet) with `j` marked.
    fn slot_mut(&mut self, j: usize) -> Option<&mut T> {
        if let Some(memo) = self.memo.take() {
            self.base = Some((memo, 0));
        }
        if let Some((_, written)) = &mut self.base {
            *written |= 1u64.checked_shl(j as u32).unwrap_or(0);
        }
        self.items.get_mut(j)
    }

    /// The slots.
    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }

    /// The encoding of the slots, each written by `encode`, kept until a slot changes; a
    /// failure of `encode` is returned and nothing is kept. With a base of the same number of
    /// slots, only the slots written since are encoded again.
    pub(crate) fn memo<E>(
        &self,
        encode: impl Fn(&T, &mut Vec<u8>) -> Result<(), E>,
    ) -> Result<&[u8], E> {
        if let Some(memo) = self.memo.get() {
            return Ok(&memo.bytes);
        }
        let base = self
            .base
            .as_ref()
            .filter(|(base, _)| base.ends.len() == self.items.len());
        let mut bytes = Vec::with_capacity(base.map_or(0, |(b, _)| b.bytes.len() + 256));
        let mut ends = Vec::with_capacity(self.items.len());
        // The first slot of a run of unwritten slots whose base bytes are not copied yet.
        let mut run: Option<usize> = None;
        for (j, item) in self.items.iter().enumerate() {
            if let Some((base, written)) = base {
                if written.checked_shr(j as u32).unwrap_or(1) & 1 == 0 {
                    run.get_or_insert(j);
                    ends.push(0);
                    continue;
                }
                if let Some(start) = run.take() {
                    copy_run(base, start, j, &mut bytes, &mut ends);
                }
            }
            encode(item, &mut bytes)?;
            ends.push(bytes.len());
        }
        if let (Some((base, _)), Some(start)) = (base, run) {
            copy_run(base, start, self.items.len(), &mut bytes, &mut ends);
        }
        let computed = Arc::new(Memo {
            bytes: bytes.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
        });
        Ok(&self.memo.get_or_init(|| computed).bytes)
    }
}

/// Copies the base bytes of slots `start..end` to `bytes`, and sets their ends (`start < end
/// <= base.ends.len() == ends.len()`).
fn copy_run(base: &Memo, start: usize, end: usize, bytes: &mut Vec<u8>, ends: &mut [usize]) {
    let from = start.checked_sub(1).map_or(0, |k| base.ends[k]);
    let to = base.ends[end - 1];
    let at = bytes.len();
    bytes.extend_from_slice(&base.bytes[from..to]);
    for (new, old) in ends[start..end].iter_mut().zip(&base.ends[start..end]) {
        *new = old - from + at;
    }
}

impl<T: Clone> Clone for Chunk<T> {
    /// A copy of the slots (a copy is made to be written): the memo becomes its base.
    fn clone(&self) -> Self {
        let base = match self.memo.get() {
            Some(memo) => Some((memo.clone(), 0)),
            None => self.base.clone(),
        };
        Self {
            items: self.items.clone(),
            memo: OnceLock::new(),
            base,
        }
    }
}

/// A vector of `T` in shared chunks of [`CHUNK`] slots.
#[derive(Debug, Clone)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<Chunk<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    /// The elements of `items`, in order.
    pub(crate) fn from_vec(items: Vec<T>) -> Self {
        let len = items.len();
        let mut chunks = Vec::with_capacity(len.div_ceil(CHUNK));
        let mut items = items.into_iter();
        loop {
            let chunk: Vec<T> = items.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            chunks.push(Arc::new(Chunk::new(chunk)));
        }
        Self { chunks, len }
    }

    /// The number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The element at `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.chunks
            .get(i / CHUNK)
            .and_then(|c| c.items.get(i % CHUNK))
    }

    /// The element at `i`, for writing: its chunk is copied first if another vector shares it.
    pub(crate) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        self.chunks
            .get_mut(i / CHUNK)
            .and_then(|c| Arc::make_mut(c).slot_mut(i % CHUNK))
    }

    /// The elements in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + Clone {
        self.chunks.iter().flat_map(|c| c.items.iter())
    }

    /// The elements from index `start` on, in order (without walking the ones before).
    pub(crate) fn iter_from(&self, start: usize) -> impl Iterator<Item = &T> + Clone {
        let first = start / CHUNK;
        let skip = start % CHUNK;
        self.chunks
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .flat_map(move |(k, c)| c.items.get(if k == 0 { skip } else { 0 }..).unwrap_or(&[]))
    }

    /// The index of the last element for which `f` holds.
    pub(crate) fn rposition(&self, f: impl Fn(&T) -> bool) -> Option<usize> {
        for (k, chunk) in self.chunks.iter().enumerate().rev() {
            if let Some(j) = chunk.items.iter().rposition(&f) {
                return Some(k * CHUNK + j);
            }
        }
        None
    }

    /// Grows (with `fill()`) or shrinks to `new_len` elements.
    pub(crate) fn resize_with(&mut self, new_len: usize, mut fill: impl FnMut() -> T) {
        if new_len <= self.len {
            self.truncate(new_len);
            return;
        }
        while self.len < new_len {
            match self.chunks.last_mut() {
                Some(last) if last.items.len() < CHUNK => {
                    let last = Arc::make_mut(last).items_mut();
                    let room = (CHUNK - last.len()).min(new_len - self.len);
                    last.extend(std::iter::repeat_with(&mut fill).take(room));
                    self.len += room;
                }
                _ => {
                    let take = CHUNK.min(new_len - self.len);
                    let mut chunk = Vec::with_capacity(take);
                    chunk.extend(std::iter::repeat_with(&mut fill).take(take));
                    self.chunks.push(Arc::new(Chunk::new(chunk)));
                    self.len += take;
                }
            }
        }
    }

    /// Keeps the first `new_len` elements.
    pub(crate) fn truncate(&mut self, new_len: usize) {
        if new_len >= self.len {
            return;
        }
        self.chunks.truncate(new_len.div_ceil(CHUNK));
        let rest = new_len % CHUNK;
        if rest != 0 {
            if let Some(last) = self.chunks.last_mut() {
                if last.items.len() > rest {
                    Arc::make_mut(last).items_mut().truncate(rest);
                }
            }
        }
        self.len = new_len;
    }

    /// The chunks in order (each [`CHUNK`] slots but the last).
    pub(crate) fn chunks(&self) -> impl Iterator<Item = &Chunk<T>> {
        self.chunks.iter().map(|c| &**c)
    }

    /// Removes every element.
    pub(crate) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a.items == b.items)
    }
}

impl<T: Eq> Eq for Chunked<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation agrees with a plain `Vec`, across chunk boundaries, and a copy is not
    /// changed by writes to the original.
    #[test]
    fn behaves_like_a_vec() {
        for len in [0usize, 1, 63, 64, 65, 128, 200] {
            let plain: Vec<u32> = (0..len as u32).collect();
            let mut c = Chunked::from_vec(plain.clone());
            assert_eq!(c.len(), len);
            assert_eq!(c.iter().copied().collect::<Vec<_>>(), plain);
            for start in [0, 1, 63, 64, 65, len] {
                let tail: Vec<u32> = c.iter_from(start).copied().collect();
                assert_eq!(
                    tail,
                    plain.get(start..).unwrap_or(&[]),
                    "{len} from {start}"
                );
            }
            assert_eq!(
                c.rposition(|x| x % 7 == 0),
                plain.iter().rposition(|x| x % 7 == 0)
            );
            let copy = c.clone();
            if let Some(x) = c.get_mut(len.saturating_sub(1)) {
                *x = 999;
            }
            assert_eq!(copy.iter().copied().collect::<Vec<_>>(), plain);
            assert!(c.get_mut(len).is_none() && c.get(len).is_none());
            let mut grown = copy.clone();
            grown.resize_with(len + 70, || 5);
            let mut expect = plain.clone();
            expect.resize(len + 70, 5);
            assert_eq!(grown.iter().copied().collect::<Vec<_>>(), expect);
            grown.truncate(len / 2);
            assert_eq!(grown.iter().copied().collect::<Vec<_>>(), plain[..len / 2]);
            assert_eq!(grown.len(), len / 2);
            assert_eq!(copy.iter().copied().collect::<Vec<_>>(), plain);
            assert!(copy == Chunked::from_vec(plain.clone()));
            grown.clear();
            assert!(grown.is_empty());
        }
    }

    /// Variable-length encoding of a number, so that a changed slot moves the ones after it.
    fn digits(x: &u32, out: &mut Vec<u8>) -> Result<(), ()> {
        out.extend_from_slice(x.to_string().as_bytes());
        out.push(b',');
        Ok(())
    }

    fn fresh(c: &Chunked<u32>) -> Vec<Vec<u8>> {
        c.chunks()
            .map(|chunk| {
                let mut out = Vec::new();
                chunk
                    .items()
                    .iter()
                    .try_for_each(|x| digits(x, &mut out))
                    .unwrap();
                out
            })
            .collect()
    }

    fn memos(c: &Chunked<u32>) -> Vec<Vec<u8>> {
        c.chunks()
            .map(|chunk| chunk.memo(digits).unwrap().to_vec())
            .collect()
    }

    /// A memo re-encodes only the slots written since the last one and copies the others: after
    /// writes in place, writes to a copy (its base shared with the original), runs of written
    /// and unwritten slots at either end, a resize, and a write to a slot whose new encoding is
    /// longer or shorter, every chunk's memo equals its encoding from scratch.
    #[test]
    fn memo_after_writes_equals_a_fresh_encoding() {
        let mut c = Chunked::from_vec((0..200u32).collect());
        assert_eq!(memos(&c), fresh(&c));
        let mut seed = 7u64;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % m
        };
        for round in 0..200 {
            let copy = c.clone();
            let writes = 1 + next(5);
            for _ in 0..writes {
                let i = match next(4) {
                    0 => 0,
                    1 => c.len() - 1,
                    _ => next(c.len()),
                };
                *c.get_mut(i).unwrap() = if next(2) == 0 { 7 } else { 1_000_000 + round };
            }
            if round % 50 == 49 {
                let len = c.len();
                c.resize_with(len + 3, || 42);
            }
            assert_eq!(memos(&c), fresh(&c), "round {round}");
            assert_eq!(memos(&copy), fresh(&copy), "copy, round {round}");
        }
    }
}

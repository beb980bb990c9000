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

/// One chunk: its slots, and a memo of something computed from them (the ratchet tree keeps a
/// chunk's encoding there), dropped whenever the slots change.
#[derive(Debug)]
pub(crate) struct Chunk<T> {
    items: Vec<T>,
    memo: OnceLock<Box<[u8]>>,
}

impl<T> Chunk<T> {
    fn new(items: Vec<T>) -> Self {
        Self {
            items,
            memo: OnceLock::new(),
        }
    }

    /// The slots, for writing: the memo goes, as it may no longer match.
    fn items_mut(&mut self) -> &mut Vec<T> {
        self.memo = OnceLock::new();
        &mut self.items
    }

    /// The slots.
    pub(crate) fn items(&self) -> &[T] {
        &self.items
    }

    /// The memo, computed by `f` from the slots the first time it is asked for; a failure of
    /// `f` is returned and nothing is kept.
    pub(crate) fn memo<E>(&self, f: impl FnOnce(&[T]) -> Result<Box<[u8]>, E>) -> Result<&[u8], E> {
        if let Some(memo) = self.memo.get() {
            return Ok(memo);
        }
        let computed = f(&self.items)?;
        Ok(self.memo.get_or_init(|| computed))
    }
}

impl<T: Clone> Clone for Chunk<T> {
    /// A copy of the slots, without the memo (a copy is made to be written).
    fn clone(&self) -> Self {
        Self::new(self.items.clone())
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
            .and_then(|c| Arc::make_mut(c).items_mut().get_mut(i % CHUNK))
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
}

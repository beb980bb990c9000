//! The few operations whose cost grows with the number of members (validating a joined tree's
//! leaves, checking the KeyPackages of many Adds, sealing a Welcome's group secrets to many new
//! members) split their independent work across the machine's cores.

use crate::Error;

/// The number of threads to split work over: the size of the rayon pool the caller runs in.
#[cfg(feature = "parallel")]
pub(crate) fn cores() -> usize {
    rayon::current_num_threads()
}

/// The number of cores this process may use, asked once: `available_parallelism` reads the
/// cgroup's CPU quota from files on Linux, which costs tens of microseconds per call, more than
/// some of the work it would split.
#[cfg(not(feature = "parallel"))]
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// How many chunks [`map_chunks`] makes per core. On rayon's pool a few per core let a thread
/// that is free early take the next chunk instead of leaving the other core the last, longest
/// one ([`map_guided`] goes further, for a join's leaf checks). Without rayon every chunk is a
/// thread of its own: one per core.
#[cfg(feature = "parallel")]
const CHUNKS_PER_CORE: usize = 4;
#[cfg(not(feature = "parallel"))]
const CHUNKS_PER_CORE: usize = 1;

/// Splits `items` into consecutive chunks, a few per core with at least `min_per_thread` items
/// in each, runs `f` on every chunk (on other threads too when there is more than one chunk)
/// and returns the results in the chunks' order.
///
/// Small inputs run on the calling thread: below `min_per_thread` items per chunk a thread costs
/// more than it saves.
///
/// # Errors
/// [`Error::Internal`] if a worker thread panicked.
pub(crate) fn map_chunks<T, R, F>(items: &[T], min_per_thread: usize, f: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let cores = cores();
    let chunks = if cores > 1 {
        (cores * CHUNKS_PER_CORE).min(items.len() / min_per_thread.max(1))
    } else {
        1
    };
    if chunks <= 1 {
        return Ok(vec![f(items)]);
    }
    let size = items.len().div_ceil(chunks);
    run_chunks(items, size, &f)
}

/// The chunk boundaries of [`map_guided`]: consecutive ranges that cover `len` items, each
/// about `1 / (2 * cores)` of what is left when it starts and at least `min` items (the last
/// may be shorter). Only rayon's [`map_guided`] cuts guided chunks.
#[cfg(any(feature = "parallel", test))]
fn guided_bounds(len: usize, cores: usize, min: usize) -> Vec<(usize, usize)> {
    let mut bounds = Vec::new();
    let mut start = 0;
    while start < len {
        let left = len - start;
        let size = (left / (2 * cores.max(1))).max(min.max(1)).min(left);
        bounds.push((start, start + size));
        start += size;
    }
    bounds
}

/// Like [`map_chunks`], for work whose end should be balanced across the cores: the chunks
/// shrink as the work goes (see [`guided_bounds`]) and whichever thread is free takes the next
/// in order, so the threads finish within a small chunk of each other even when one of them
/// started late, busy with other work of the same operation. Results come in the chunks' order.
///
/// # Errors
/// [`Error::Internal`] if a worker panicked.
#[cfg(feature = "parallel")]
pub(crate) fn map_guided<T, R, F>(items: &[T], min_chunk: usize, f: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cores = cores();
    if cores < 2 || items.len() < 2 * min_chunk.max(1) {
        return Ok(vec![f(items)]);
    }
    let bounds = guided_bounds(items.len(), cores, min_chunk);
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<R, Error>>>> =
        bounds.iter().map(|_| Mutex::new(None)).collect();
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let (Some(&(a, b)), Some(slot)) = (bounds.get(i), slots.get(i)) else {
                break;
            };
            let result = caught(|| f(&items[a..b]));
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(result);
            }
        }
    };
    rayon::scope(|scope| {
        for _ in 1..cores {
            scope.spawn(|_| work());
        }
        work();
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(worker_panicked()))
        })
        .collect()
}

/// Without rayon, [`map_chunks`]: one chunk per core, each on a thread of its own.
#[cfg(not(feature = "parallel"))]
pub(crate) fn map_guided<T, R, F>(items: &[T], min_chunk: usize, f: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    map_chunks(items, min_chunk, f)
}

/// Runs `f` on each `size`-item chunk of `items` on rayon's pool.
#[cfg(feature = "parallel")]
fn run_chunks<T, R, F>(items: &[T], size: usize, f: &F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    use rayon::prelude::*;
    items
        .par_chunks(size)
        .map(|chunk| caught(|| f(chunk)))
        .collect()
}

/// Runs `f` on each `size`-item chunk of `items`: the first on the calling thread, the others
/// on threads started for them.
#[cfg(not(feature = "parallel"))]
fn run_chunks<T, R, F>(items: &[T], size: usize, f: &F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let mut chunks = items.chunks(size);
    let first = chunks.next().unwrap_or(&[]);
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks.map(|chunk| scope.spawn(move || f(chunk))).collect();
        let mut out = Vec::with_capacity(handles.len() + 1);
        out.push(f(first));
        for h in handles {
            out.push(h.join().map_err(|_| worker_panicked())?);
        }
        Ok(out)
    })
}

/// Runs `a` and `b` at the same time (`b` on another thread) and returns both results.
///
/// # Errors
/// [`Error::Internal`] if either panicked.
pub(crate) fn join<A, B, RA, RB>(a: A, b: B) -> Result<(RA, RB), Error>
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    #[cfg(feature = "parallel")]
    {
        let (ra, rb) = rayon::join(|| caught(a), || caught(b));
        Ok((ra?, rb?))
    }
    #[cfg(not(feature = "parallel"))]
    {
        std::thread::scope(|scope| {
            let hb = scope.spawn(b);
            let ra = a();
            let rb = hb.join().map_err(|_| worker_panicked())?;
            Ok((ra, rb))
        })
    }
}

/// `f()`, with a panic turned into [`Error::Internal`] (a bug, not an input error, but one
/// worker's panic must not take the caller's thread down with it).
#[cfg(feature = "parallel")]
fn caught<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| worker_panicked())
}

fn worker_panicked() -> Error {
    Error::Internal("a worker thread panicked")
}

#[cfg(test)]
mod tests {
    use super::{join, map_chunks};
    use crate::Error;

    #[test]
    fn chunks_cover_the_input_in_order() {
        for len in [0usize, 1, 5, 63, 64, 65, 128, 1000] {
            let items: Vec<usize> = (0..len).collect();
            let out = map_chunks(&items, 16, |chunk| chunk.to_vec()).unwrap();
            let flat: Vec<usize> = out.into_iter().flatten().collect();
            assert_eq!(flat, items, "len {len}");
        }
    }

    /// A large input is cut into a few chunks per core (so that a free thread takes the next
    /// one), never more than `min_per_thread` allows.
    #[test]
    fn large_inputs_make_a_few_chunks_per_core() {
        let cores = super::cores();
        let items: Vec<u32> = (0..10_000).collect();
        let out = map_chunks(&items, 16, <[u32]>::len).unwrap();
        let expected = if cores > 1 {
            cores * super::CHUNKS_PER_CORE
        } else {
            1
        };
        assert_eq!(out.len(), expected);
        assert_eq!(out.iter().sum::<usize>(), items.len());
        let out = map_chunks(&items[..40], 16, <[u32]>::len).unwrap();
        assert!(out.len() <= 2, "{out:?}");
    }

    /// Guided chunks cover the input in order, shrink, and never go below the minimum but for
    /// the last; `map_guided` returns every chunk's result in order.
    #[test]
    fn guided_chunks_shrink_and_cover_the_input() {
        let bounds = super::guided_bounds(50_000, 2, 512);
        assert_eq!(bounds.first(), Some(&(0, 12_500)));
        assert_eq!(bounds.last().map(|b| b.1), Some(50_000));
        for w in bounds.windows(2) {
            assert_eq!(w[0].1, w[1].0);
            assert!(w[1].1 - w[1].0 <= w[0].1 - w[0].0);
        }
        for b in &bounds[..bounds.len() - 1] {
            assert!(b.1 - b.0 >= 512);
        }
        assert_eq!(super::guided_bounds(0, 2, 8), Vec::new());
        for len in [0usize, 1, 15, 16, 17, 1000, 10_000] {
            let items: Vec<usize> = (0..len).collect();
            let out = super::map_guided(&items, 8, |chunk| chunk.to_vec()).unwrap();
            let flat: Vec<usize> = out.into_iter().flatten().collect();
            assert_eq!(flat, items, "len {len}");
        }
        let items: Vec<usize> = (0..1000).collect();
        let out = super::map_guided(&items, 8, |chunk| {
            assert!(!chunk.contains(&999), "the last chunk panics");
        });
        if super::cores() > 1 {
            assert!(matches!(out, Err(Error::Internal(_))), "{out:?}");
        }
    }

    #[test]
    fn small_inputs_stay_on_one_chunk() {
        let items = [1u8; 10];
        let out = map_chunks(&items, 64, <[u8]>::len).unwrap();
        assert_eq!(out, vec![10]);
    }

    #[test]
    fn join_returns_both_results() {
        let data = [1u32, 2, 3];
        let (a, b) = join(|| data.iter().sum::<u32>(), || data.len()).unwrap();
        assert_eq!((a, b), (6, 3));
    }

    #[test]
    fn a_worker_panic_is_an_internal_error() {
        let joined = join(|| 1, || -> u8 { panic!("the other side panics") });
        assert!(matches!(joined, Err(Error::Internal(_))));
        if super::cores() < 2 {
            // One chunk runs on the calling thread, where a panic stays a panic.
            return;
        }
        let items: Vec<usize> = (0..64).collect();
        let out = map_chunks(&items, 1, |chunk| {
            assert!(!chunk.contains(&63), "the last chunk panics");
            chunk.len()
        });
        assert!(matches!(out, Err(Error::Internal(_))), "{out:?}");
    }
}

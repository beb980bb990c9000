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
/// that is free early (or that was busy with other work of the same operation, such as the
/// tree checks beside a join's leaf checks) take the next chunk instead of leaving the other
/// core the last, longest one. Without rayon every chunk is a thread of its own: one per core.
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

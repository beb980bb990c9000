//! The few operations whose cost grows with the number of members (validating a joined tree's
//! leaves, checking the KeyPackages of many Adds, sealing a Welcome's group secrets to many new
//! members) split their independent work across the machine's cores.

use crate::Error;

/// Splits `items` into at most as many consecutive chunks as the machine has cores, with at
/// least `min_per_thread` items in each, runs `f` on every chunk (on scoped threads when there
/// is more than one chunk) and returns the results in the chunks' order.
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
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / min_per_thread.max(1))
        .max(1);
    if threads == 1 {
        return Ok(vec![f(items)]);
    }
    let size = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(size)
            .map(|chunk| scope.spawn(move || f(chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| Error::Internal("a worker thread panicked"))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::map_chunks;

    #[test]
    fn chunks_cover_the_input_in_order() {
        for len in [0usize, 1, 5, 63, 64, 65, 128, 1000] {
            let items: Vec<usize> = (0..len).collect();
            let out = map_chunks(&items, 16, |chunk| chunk.to_vec()).unwrap();
            let flat: Vec<usize> = out.into_iter().flatten().collect();
            assert_eq!(flat, items, "len {len}");
        }
    }

    #[test]
    fn small_inputs_stay_on_one_chunk() {
        let items = [1u8; 10];
        let out = map_chunks(&items, 64, <[u8]>::len).unwrap();
        assert_eq!(out, vec![10]);
    }
}

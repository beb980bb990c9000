//! Readers racing a writer: a write must be seen whole or not at all.
//!
//! One writer moves a group from epoch 0 to [`WRITES`], each write storing the state of epoch
//! `n`, inserting epoch `n`'s record and consuming key package `n`. Readers on other threads
//! check, over and over, the implications a partial write would break:
//!
//! ```text
//!   state at epoch e        ⇒  state bytes are those of e (not torn, not mixed)
//!                           ⇒  record e is stored        (record not behind state)
//!                           ⇒  key package e is gone     (deletion not behind state)
//!   record e+1 is stored    ⇒  a later state read is at ≥ e+1  (state not behind record)
//!   key package e+1 is gone ⇒  a later state read is at ≥ e+1  (state not behind deletion)
//!   state epochs never go backwards
//! ```
//!
//! A store that passes has not proven atomicity (a race can hide), but a store that applies
//! the parts of a write one by one without isolation fails quickly.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use cohort_storage::{GroupWrite, StorageProvider, Zeroizing};

use super::{CheckFn, blob, err, key};

pub(super) const CHECKS: &[(&str, CheckFn)] = &[(
    "group/concurrent-reads-see-whole-writes",
    concurrent_reads_see_whole_writes,
)];

/// How many writes the writer makes.
const WRITES: u64 = 200;
/// How many reader threads race it.
const READERS: usize = 2;
/// The size of each state blob, large enough that a torn copy shows.
const STATE_LEN: usize = 4096;

fn state_blob(epoch: u64) -> Vec<u8> {
    blob(epoch, STATE_LEN)
}

fn record(epoch: u64) -> Vec<u8> {
    blob(epoch.wrapping_add(1 << 32), 256)
}

fn kp(n: u64) -> Vec<u8> {
    key("concurrent", &format!("kp-{n}"))
}

fn concurrent_reads_see_whole_writes(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("concurrent", "group");
    store.delete_group(&g).map_err(err("delete_group"))?;
    for n in 1..=WRITES {
        store
            .insert_key_package(&kp(n), Zeroizing::new(vec![1; 16]))
            .map_err(err("insert_key_package"))?;
    }
    store
        .write(GroupWrite::new(g.clone()).with_state(0, state_blob(0)))
        .map_err(err("write epoch 0"))?;

    let done = AtomicBool::new(false);
    let result = thread::scope(|scope| {
        let readers: Vec<_> = (0..READERS)
            .map(|_| scope.spawn(|| read_loop(store, &g, &done)))
            .collect();
        let written = write_loop(store, &g);
        done.store(true, Ordering::SeqCst);
        let mut result = written;
        for r in readers {
            let r = r
                .join()
                .unwrap_or_else(|_| Err("a reader thread panicked".into()));
            result = result.and(r);
        }
        result
    });
    result?;

    for n in 1..=WRITES {
        store
            .delete_key_package(&kp(n))
            .map_err(err("delete_key_package"))?;
    }
    store.delete_group(&g).map_err(err("delete_group"))
}

fn write_loop(store: &dyn StorageProvider, g: &[u8]) -> Result<(), String> {
    for n in 1..=WRITES {
        store
            .write(
                GroupWrite::new(g)
                    .with_state(n, state_blob(n))
                    .insert_epoch(n, record(n))
                    .consume_key_package(kp(n)),
            )
            .map_err(err("write"))?;
        // Give the readers a chance to run between writes on a busy machine.
        thread::yield_now();
    }
    Ok(())
}

fn read_loop(store: &dyn StorageProvider, g: &[u8], done: &AtomicBool) -> Result<(), String> {
    let mut last = 0;
    loop {
        // Read `done` first, so the last pass runs after the final write.
        let finished = done.load(Ordering::SeqCst);
        let e = read_epoch_checked(store, g)?;
        if e < last {
            return Err(format!("the state went back from epoch {last} to {e}"));
        }
        last = e;
        if e >= 1 {
            let rec = store.read_epoch(g, e).map_err(err("read_epoch"))?;
            if rec.as_deref().map(Vec::as_slice) != Some(record(e).as_slice()) {
                return Err(format!(
                    "the state of epoch {e} was visible before its epoch record"
                ));
            }
            if store
                .key_package(&kp(e))
                .map_err(err("key_package"))?
                .is_some()
            {
                return Err(format!(
                    "the state of epoch {e} was visible before its consumed key package was deleted"
                ));
            }
        }
        if e < WRITES {
            let next = e + 1;
            let rec_seen = store
                .read_epoch(g, next)
                .map_err(err("read_epoch"))?
                .is_some();
            let kp_gone = store
                .key_package(&kp(next))
                .map_err(err("key_package"))?
                .is_none();
            if rec_seen || kp_gone {
                let now = read_epoch_checked(store, g)?;
                if now < next {
                    let what = if rec_seen {
                        "its epoch record was visible"
                    } else {
                        "its consumed key package was deleted"
                    };
                    return Err(format!(
                        "the state was still at epoch {now} after {what} (epoch {next})"
                    ));
                }
            }
        }
        if finished {
            return if last == WRITES {
                Ok(())
            } else {
                Err(format!(
                    "after the last write the state reads epoch {last}, not {WRITES}"
                ))
            };
        }
    }
}

/// Reads the state's epoch, checking that its bytes are whole and belong to that epoch.
fn read_epoch_checked(store: &dyn StorageProvider, g: &[u8]) -> Result<u64, String> {
    let s = store
        .read_state(g)
        .map_err(err("read_state"))?
        .ok_or("the group disappeared during writes")?;
    if s.state.as_slice() != state_blob(s.epoch).as_slice() {
        return Err(format!(
            "the state read at epoch {} is not that epoch's state (torn or mixed write)",
            s.epoch
        ));
    }
    Ok(s.epoch)
}

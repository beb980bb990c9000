//! Sequential checks of each storage operation and of the write contract.

use cohort_storage::{GroupWrite, StorageErrorKind, StorageProvider, Zeroizing};

use super::{CheckFn, blob, ensure, err, is_kind, key, write_ok};

pub(super) const CHECKS: &[(&str, CheckFn)] = &[
    ("group/missing-is-none", missing_is_none),
    ("group/state-round-trip", state_round_trip),
    ("group/ids-are-exact", ids_are_exact),
    ("group/epochs-insert-delete", epochs_insert_delete),
    ("group/write-without-state", write_without_state),
    ("group/key-packages-consumed", key_packages_consumed),
    (
        "group/rejected-write-changes-nothing",
        rejected_write_changes_nothing,
    ),
    ("group/delete-removes-epochs", delete_removes_epochs),
    ("group/ids-listed", group_ids_listed),
    ("group/large-blobs", large_blobs),
    ("key-package/round-trip", key_package_round_trip),
    ("key-package/refs-listed", key_package_refs_listed),
    ("psk/round-trip", psk_round_trip),
];

/// The epoch and state of `group`, or `None`.
fn state_of(store: &dyn StorageProvider, group: &[u8]) -> Result<Option<(u64, Vec<u8>)>, String> {
    Ok(store
        .read_state(group)
        .map_err(err("read_state"))?
        .map(|s| (s.epoch, s.state.to_vec())))
}

/// The record of `epoch` of `group`, or `None`.
fn epoch_of(
    store: &dyn StorageProvider,
    group: &[u8],
    epoch: u64,
) -> Result<Option<Vec<u8>>, String> {
    Ok(store
        .read_epoch(group, epoch)
        .map_err(err("read_epoch"))?
        .map(|r| r.to_vec()))
}

fn kp_of(store: &dyn StorageProvider, kp: &[u8]) -> Result<Option<Vec<u8>>, String> {
    Ok(store
        .key_package(kp)
        .map_err(err("key_package"))?
        .map(|v| v.to_vec()))
}

/// The listed groups under the prefix `prefix`, after checking that the whole listing (other
/// data included) is in strictly ascending byte order.
fn listed_groups(store: &dyn StorageProvider, prefix: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let ids = store.group_ids().map_err(err("group_ids"))?;
    ensure(
        ascending(&ids),
        "group_ids is not in strictly ascending byte order (or lists an id twice)",
    )?;
    Ok(ids
        .into_iter()
        .filter(|id| id.starts_with(prefix))
        .collect())
}

/// The listed key-package refs under the prefix `prefix`, after checking that the whole listing
/// (other data included) is in strictly ascending byte order.
fn listed_kps(store: &dyn StorageProvider, prefix: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let refs = store.key_package_refs().map_err(err("key_package_refs"))?;
    ensure(
        ascending(&refs),
        "key_package_refs is not in strictly ascending byte order (or lists a ref twice)",
    )?;
    Ok(refs.into_iter().filter(|r| r.starts_with(prefix)).collect())
}

/// Whether `list` is sorted by bytes with no duplicates.
fn ascending(list: &[Vec<u8>]) -> bool {
    list.windows(2).all(|w| w[0] < w[1])
}

/// Names listed in a failure message: each id after `prefix`, escaped.
fn names(list: &[Vec<u8>], prefix: &[u8]) -> String {
    let names: Vec<String> = list
        .iter()
        .map(|id| {
            id.strip_prefix(prefix)
                .unwrap_or(id)
                .escape_ascii()
                .to_string()
        })
        .collect();
    format!("[{}]", names.join(", "))
}

/// Ids under `prefix` that sort differently by bytes than by length or by signed bytes: a
/// proper prefix, a zero byte, bytes above 0x7f.
fn listing_ids(prefix: &[u8]) -> [Vec<u8>; 5] {
    [&b"b"[..], b"a", b"a\0", b"\xff", b"ab"].map(|tail| [prefix, tail].concat())
}

fn delete(store: &dyn StorageProvider, groups: &[&[u8]]) -> Result<(), String> {
    for g in groups {
        store.delete_group(g).map_err(err("delete_group"))?;
    }
    Ok(())
}

fn missing_is_none(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("missing", "group");
    delete(store, &[&g])?;
    ensure(
        state_of(store, &g)?.is_none(),
        "read_state of an unknown group is not None",
    )?;
    ensure(
        epoch_of(store, &g, 0)?.is_none(),
        "read_epoch of an unknown group is not None",
    )?;
    store
        .delete_group(&g)
        .map_err(err("delete_group of an unknown group"))?;
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(1, vec![1]),
        "write",
    )?;
    ensure(
        epoch_of(store, &g, 0)?.is_none() && epoch_of(store, &g, u64::MAX)?.is_none(),
        "read_epoch of an epoch never written is not None",
    )?;
    ensure(
        kp_of(store, &key("missing", "kp"))?.is_none(),
        "key_package of an unknown ref is not None",
    )?;
    ensure(
        store
            .psk(&key("missing", "psk"))
            .map_err(err("psk"))?
            .is_none(),
        "psk of an unknown id is not None",
    )?;
    store
        .delete_key_package(&key("missing", "kp"))
        .map_err(err("delete_key_package of an unknown ref"))?;
    store
        .delete_psk(&key("missing", "psk"))
        .map_err(err("delete_psk of an unknown id"))?;
    delete(store, &[&g])
}

fn state_round_trip(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("state", "group");
    delete(store, &[&g])?;
    let s1 = blob(1, 1000);
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(0, s1.clone()),
        "first write",
    )?;
    ensure(
        state_of(store, &g)? == Some((0, s1)),
        "the state read back differs from the one written",
    )?;
    let s2 = blob(2, 10);
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(1, s2.clone()),
        "second write",
    )?;
    ensure(
        state_of(store, &g)? == Some((1, s2)),
        "a later write did not replace the state",
    )?;
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(u64::MAX, Vec::new()),
        "empty state",
    )?;
    ensure(
        state_of(store, &g)? == Some((u64::MAX, Vec::new())),
        "an empty state at epoch u64::MAX does not round-trip",
    )?;
    delete(store, &[&g])
}

fn ids_are_exact(store: &dyn StorageProvider) -> Result<(), String> {
    let base = key("ids", "g");
    let mut with_zero = base.clone();
    with_zero.push(0);
    let mut longer = base.clone();
    longer.extend_from_slice(b"g");
    let binary = vec![0u8, 0xff, 0, 0x80];
    let ids = [base, with_zero, longer, binary];
    let refs: Vec<&[u8]> = ids.iter().map(Vec::as_slice).collect();
    delete(store, &refs)?;
    for (i, id) in ids.iter().enumerate() {
        let n = i as u64;
        write_ok(
            store,
            GroupWrite::new(id.clone())
                .with_state(n, blob(n, 64))
                .insert_epoch(7, blob(100 + n, 32)),
            "write",
        )?;
    }
    for (i, id) in ids.iter().enumerate() {
        let n = i as u64;
        ensure(
            state_of(store, id)? == Some((n, blob(n, 64))),
            format!("group id #{i} reads another group's state"),
        )?;
        ensure(
            epoch_of(store, id, 7)? == Some(blob(100 + n, 32)),
            format!("group id #{i} reads another group's epoch record"),
        )?;
    }
    store.delete_group(&ids[0]).map_err(err("delete_group"))?;
    for (i, id) in ids.iter().enumerate().skip(1) {
        ensure(
            state_of(store, id)?.is_some() && epoch_of(store, id, 7)?.is_some(),
            format!("deleting a group whose id is a prefix of group id #{i} deleted it too"),
        )?;
    }
    delete(store, &refs)
}

fn epochs_insert_delete(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("epochs", "group");
    let other = key("epochs", "other");
    delete(store, &[&g, &other])?;
    write_ok(
        store,
        GroupWrite::new(other.clone())
            .with_state(5, vec![5])
            .insert_epoch(1, blob(99, 8)),
        "write other group",
    )?;
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(3, vec![3])
            .insert_epoch(1, blob(1, 40))
            .insert_epoch(2, blob(2, 40))
            .insert_epoch(3, blob(3, 40)),
        "insert epochs 1-3",
    )?;
    for e in 1..=3 {
        ensure(
            epoch_of(store, &g, e)? == Some(blob(e, 40)),
            format!("epoch {e} does not read back as written"),
        )?;
    }
    // Expire epoch 1, replace epoch 3, add epoch 4 in one write.
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(4, vec![4])
            .insert_epoch(3, blob(33, 20))
            .insert_epoch(4, blob(4, 40))
            .delete_epoch(1),
        "expire, replace and insert",
    )?;
    ensure(
        epoch_of(store, &g, 1)?.is_none(),
        "a deleted epoch record is still there",
    )?;
    ensure(
        epoch_of(store, &g, 2)? == Some(blob(2, 40)),
        "an untouched epoch record changed",
    )?;
    ensure(
        epoch_of(store, &g, 3)? == Some(blob(33, 20)),
        "inserting an existing epoch did not replace its record",
    )?;
    ensure(
        epoch_of(store, &g, 4)? == Some(blob(4, 40)),
        "a new epoch record is missing",
    )?;
    // Inserts apply before deletes; of two inserts the later wins.
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .insert_epoch(5, blob(5, 8))
            .delete_epoch(5)
            .insert_epoch(6, blob(60, 8))
            .insert_epoch(6, blob(6, 8)),
        "insert and delete the same epoch",
    )?;
    ensure(
        epoch_of(store, &g, 5)?.is_none(),
        "an epoch inserted and deleted in one write is present (deletes must apply after inserts)",
    )?;
    ensure(
        epoch_of(store, &g, 6)? == Some(blob(6, 8)),
        "of two inserts of one epoch in one write, the later did not win",
    )?;
    ensure(
        epoch_of(store, &other, 1)? == Some(blob(99, 8)) && epoch_of(store, &other, 2)?.is_none(),
        "another group's epoch records changed",
    )?;
    delete(store, &[&g, &other])
}

fn write_without_state(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("stateless", "group");
    delete(store, &[&g])?;
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(9, blob(9, 100)),
        "write state",
    )?;
    write_ok(
        store,
        GroupWrite::new(g.clone()).insert_epoch(9, blob(1, 16)),
        "write a record without state",
    )?;
    ensure(
        state_of(store, &g)? == Some((9, blob(9, 100))),
        "a write without state changed the state",
    )?;
    ensure(
        epoch_of(store, &g, 9)? == Some(blob(1, 16)),
        "the record of a stateless write is missing",
    )?;
    delete(store, &[&g])
}

fn key_packages_consumed(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("kp", "group");
    let [a, b, last_resort, absent] = ["a", "b", "last-resort", "absent"].map(|k| key("kp", k));
    delete(store, &[&g])?;
    for (i, kp) in [&a, &b, &last_resort].into_iter().enumerate() {
        store
            .insert_key_package(kp, Zeroizing::new(blob(i as u64, 48)))
            .map_err(err("insert_key_package"))?;
    }
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(1, vec![1])
            .consume_key_package(a.clone())
            .consume_key_package(absent),
        "join consuming a",
    )?;
    ensure(
        kp_of(store, &a)?.is_none(),
        "a consumed key package is still stored",
    )?;
    ensure(
        kp_of(store, &b)?.is_some(),
        "a key package not listed was deleted",
    )?;
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(2, vec![2])
            .consume_key_package(b.clone()),
        "write consuming b",
    )?;
    ensure(
        kp_of(store, &b)?.is_none(),
        "a consumed key package is still stored",
    )?;
    ensure(
        kp_of(store, &last_resort)? == Some(blob(2, 48)),
        "an unlisted (last-resort) key package was deleted or changed",
    )?;
    store
        .delete_key_package(&last_resort)
        .map_err(err("delete_key_package"))?;
    delete(store, &[&g])
}

fn rejected_write_changes_nothing(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("rejected", "group");
    let kp = key("rejected", "kp");
    delete(store, &[&g])?;
    store
        .insert_key_package(&kp, Zeroizing::new(blob(1, 32)))
        .map_err(err("insert_key_package"))?;
    let write = GroupWrite::new(g.clone())
        .insert_epoch(1, blob(1, 8))
        .consume_key_package(kp.clone());
    match store.write(write) {
        Ok(()) => return Err("a write without state to an unknown group succeeded".into()),
        Err(e) if is_kind(&e, StorageErrorKind::GroupNotFound) => {}
        Err(e) => {
            return Err(format!(
                "wrong error for a write without state to an unknown group: {e}"
            ));
        }
    }
    ensure(
        state_of(store, &g)?.is_none(),
        "a rejected write created the group",
    )?;
    ensure(
        epoch_of(store, &g, 1)?.is_none(),
        "a rejected write inserted its epoch record",
    )?;
    ensure(
        kp_of(store, &kp)? == Some(blob(1, 32)),
        "a rejected write deleted its consumed key package",
    )?;
    store
        .delete_key_package(&kp)
        .map_err(err("delete_key_package"))?;
    delete(store, &[&g])
}

fn delete_removes_epochs(store: &dyn StorageProvider) -> Result<(), String> {
    let g = key("delete", "group");
    let other = key("delete", "other");
    delete(store, &[&g, &other])?;
    let mut write = GroupWrite::new(g.clone()).with_state(10, vec![10]);
    for e in 0..10 {
        write = write.insert_epoch(e, blob(e, 16));
    }
    write_ok(store, write, "write")?;
    write_ok(
        store,
        GroupWrite::new(other.clone())
            .with_state(1, vec![1])
            .insert_epoch(0, vec![0]),
        "write other group",
    )?;
    store.delete_group(&g).map_err(err("delete_group"))?;
    ensure(
        state_of(store, &g)?.is_none(),
        "a deleted group still has a state",
    )?;
    for e in 0..10 {
        ensure(
            epoch_of(store, &g, e)?.is_none(),
            format!("epoch {e} of a deleted group is still readable"),
        )?;
    }
    match store.write(GroupWrite::new(g.clone()).insert_epoch(11, vec![11])) {
        Err(e) if is_kind(&e, StorageErrorKind::GroupNotFound) => {}
        Ok(()) => return Err("a stateless write to a deleted group succeeded".into()),
        Err(e) => {
            return Err(format!(
                "wrong error for a stateless write to a deleted group: {e}"
            ));
        }
    }
    write_ok(
        store,
        GroupWrite::new(g.clone()).with_state(0, vec![0]),
        "re-create",
    )?;
    ensure(
        (0..10).all(|e| epoch_of(store, &g, e).is_ok_and(|r| r.is_none())),
        "re-creating a deleted group brought its old epoch records back",
    )?;
    ensure(
        state_of(store, &other)?.is_some() && epoch_of(store, &other, 0)?.is_some(),
        "deleting a group touched another group",
    )?;
    delete(store, &[&g, &other])
}

fn group_ids_listed(store: &dyn StorageProvider) -> Result<(), String> {
    let prefix = key("list", "");
    let ids = listing_ids(&prefix);
    let [b, a, a0, ff, ab] = ids.clone();
    let refused = [prefix.as_slice(), b"refused"].concat();
    let deleted = [prefix.as_slice(), b"deleted"].concat();
    // Start clean, also from what an earlier, interrupted run left under the prefix.
    let leftovers = listed_groups(store, &prefix)?;
    let mut all: Vec<&[u8]> = leftovers.iter().map(Vec::as_slice).collect();
    all.extend(ids.iter().map(Vec::as_slice));
    all.extend([refused.as_slice(), deleted.as_slice()]);
    delete(store, &all)?;
    ensure(
        listed_groups(store, &prefix)?.is_empty(),
        "group_ids lists groups that were deleted",
    )?;

    for (i, id) in ids.iter().chain([&deleted]).enumerate() {
        let n = i as u64;
        write_ok(
            store,
            GroupWrite::new(id.clone())
                .with_state(n, blob(n, 16))
                .insert_epoch(n, blob(n, 8)),
            "write",
        )?;
    }
    // A second write to a group, with and without a state, does not list it twice.
    write_ok(
        store,
        GroupWrite::new(a.clone()).with_state(9, blob(9, 16)),
        "rewrite a state",
    )?;
    write_ok(
        store,
        GroupWrite::new(b.clone()).insert_epoch(9, blob(9, 8)),
        "write a record without state",
    )?;
    // A refused write (no state, unknown group) lists nothing.
    match store.write(GroupWrite::new(refused.clone()).insert_epoch(1, blob(1, 8))) {
        Err(e) if is_kind(&e, StorageErrorKind::GroupNotFound) => {}
        Ok(()) => return Err("a write without state to an unknown group succeeded".into()),
        Err(e) => {
            return Err(format!(
                "wrong error for a write without state to an unknown group: {e}"
            ));
        }
    }
    store.delete_group(&deleted).map_err(err("delete_group"))?;

    let expected = vec![a, a0, ab, b, ff];
    let listed = listed_groups(store, &prefix)?;
    if listed != expected {
        let why = if listed.contains(&refused) {
            "group_ids lists a group whose write was refused"
        } else if listed.contains(&deleted) {
            "group_ids lists a deleted group"
        } else if listed.len() < expected.len() {
            "group_ids misses a group written with a state"
        } else {
            "group_ids does not list the groups written, each once in ascending byte order"
        };
        return Err(format!(
            "{why}: listed {}, expected {}",
            names(&listed, &prefix),
            names(&expected, &prefix)
        ));
    }
    delete(store, &all)?;
    ensure(
        listed_groups(store, &prefix)?.is_empty(),
        "group_ids lists groups that were deleted",
    )
}

fn large_blobs(store: &dyn StorageProvider) -> Result<(), String> {
    const STATE: usize = 4 << 20;
    const RECORD: usize = 2 << 20;
    let g = key("large", "group");
    delete(store, &[&g])?;
    let state = blob(4, STATE);
    let record = blob(2, RECORD);
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(1, state.clone())
            .insert_epoch(0, record.clone()),
        "write 4 MiB state and 2 MiB record",
    )?;
    let read = store.read_state(&g).map_err(err("read_state"))?;
    ensure(
        read.as_ref()
            .is_some_and(|s| s.epoch == 1 && s.state.as_slice() == state.as_slice()),
        "a 4 MiB state does not round-trip",
    )?;
    ensure(
        epoch_of(store, &g, 0)? == Some(record),
        "a 2 MiB epoch record does not round-trip",
    )?;
    delete(store, &[&g])
}

fn key_package_round_trip(store: &dyn StorageProvider) -> Result<(), String> {
    let kp = key("kp-round-trip", "kp");
    store
        .delete_key_package(&kp)
        .map_err(err("delete_key_package"))?;
    store
        .insert_key_package(&kp, Zeroizing::new(blob(1, 100)))
        .map_err(err("insert_key_package"))?;
    ensure(
        kp_of(store, &kp)? == Some(blob(1, 100)),
        "a key package does not round-trip",
    )?;
    store
        .insert_key_package(&kp, Zeroizing::new(blob(2, 50)))
        .map_err(err("insert_key_package again"))?;
    ensure(
        kp_of(store, &kp)? == Some(blob(2, 50)),
        "inserting again did not replace",
    )?;
    store
        .delete_key_package(&kp)
        .map_err(err("delete_key_package"))?;
    ensure(
        kp_of(store, &kp)?.is_none(),
        "a deleted key package is still stored",
    )
}

fn key_package_refs_listed(store: &dyn StorageProvider) -> Result<(), String> {
    let prefix = key("kp-list", "");
    let g = key("kp-list-group", "g");
    let missing = key("kp-list-group", "missing");
    let ids = listing_ids(&prefix);
    let [deleted, consumed, refused, last_resort, replaced] =
        ["deleted", "consumed", "refused", "last-resort", "replaced"]
            .map(|tail| [prefix.as_slice(), tail.as_bytes()].concat());
    let delete_all = |extra: &[Vec<u8>]| -> Result<(), String> {
        for kp in ids
            .iter()
            .chain([&deleted, &consumed, &refused, &last_resort, &replaced])
            .chain(extra)
        {
            store
                .delete_key_package(kp)
                .map_err(err("delete_key_package"))?;
        }
        delete(store, &[&g, &missing])
    };
    // Start clean, also from what an earlier, interrupted run left under the prefix.
    delete_all(&listed_kps(store, &prefix)?)?;
    ensure(
        listed_kps(store, &prefix)?.is_empty(),
        "key_package_refs lists key packages that were deleted",
    )?;

    for (i, kp) in ids
        .iter()
        .chain([&deleted, &consumed, &refused, &last_resort, &replaced])
        .enumerate()
    {
        store
            .insert_key_package(kp, Zeroizing::new(blob(i as u64, 24)))
            .map_err(err("insert_key_package"))?;
    }
    // Inserting a ref again replaces it: still listed once.
    store
        .insert_key_package(&replaced, Zeroizing::new(blob(99, 24)))
        .map_err(err("insert_key_package again"))?;
    store
        .delete_key_package(&deleted)
        .map_err(err("delete_key_package"))?;
    // A join consumes one; the last-resort one is not listed in the write, so it stays.
    write_ok(
        store,
        GroupWrite::new(g.clone())
            .with_state(1, vec![1])
            .consume_key_package(consumed.clone()),
        "join consuming a key package",
    )?;
    // A refused write consumes nothing.
    match store.write(GroupWrite::new(missing.clone()).consume_key_package(refused.clone())) {
        Err(e) if is_kind(&e, StorageErrorKind::GroupNotFound) => {}
        Ok(()) => return Err("a write without state to an unknown group succeeded".into()),
        Err(e) => {
            return Err(format!(
                "wrong error for a write without state to an unknown group: {e}"
            ));
        }
    }

    let [b, a, a0, ff, ab] = ids.clone();
    let mut expected = vec![
        a,
        a0,
        ab,
        b,
        ff,
        last_resort.clone(),
        refused.clone(),
        replaced.clone(),
    ];
    expected.sort();
    let listed = listed_kps(store, &prefix)?;
    if listed != expected {
        let why = if listed.contains(&deleted) {
            "key_package_refs lists a deleted key package"
        } else if listed.contains(&consumed) {
            "key_package_refs lists a key package consumed by a group write"
        } else if !listed.contains(&last_resort) {
            "key_package_refs misses a key package no write consumed (last-resort)"
        } else if !listed.contains(&refused) {
            "key_package_refs misses a key package whose consuming write was refused"
        } else if listed.len() < expected.len() {
            "key_package_refs misses an inserted key package"
        } else {
            "key_package_refs does not list the inserted key packages, each once in ascending \
             byte order"
        };
        return Err(format!(
            "{why}: listed {}, expected {}",
            names(&listed, &prefix),
            names(&expected, &prefix)
        ));
    }
    delete_all(&[])?;
    ensure(
        listed_kps(store, &prefix)?.is_empty(),
        "key_package_refs lists key packages that were deleted",
    )
}

fn psk_round_trip(store: &dyn StorageProvider) -> Result<(), String> {
    let id = key("psk-round-trip", "psk");
    let psk_of = |id: &[u8]| -> Result<Option<Vec<u8>>, String> {
        Ok(store.psk(id).map_err(err("psk"))?.map(|v| v.to_vec()))
    };
    store.delete_psk(&id).map_err(err("delete_psk"))?;
    store
        .insert_psk(&id, Zeroizing::new(blob(1, 32)))
        .map_err(err("insert_psk"))?;
    ensure(
        psk_of(&id)? == Some(blob(1, 32)),
        "a PSK does not round-trip",
    )?;
    store
        .insert_psk(&id, Zeroizing::new(blob(2, 32)))
        .map_err(err("insert_psk again"))?;
    ensure(
        psk_of(&id)? == Some(blob(2, 32)),
        "inserting again did not replace",
    )?;
    store.delete_psk(&id).map_err(err("delete_psk"))?;
    ensure(psk_of(&id)?.is_none(), "a deleted PSK is still stored")
}

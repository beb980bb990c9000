//! Which client plays which actor: the assignments of clients to a script's actors, and how
//! each is labelled in the report.

/// The assignments of `clients` clients to `actors` actors: all of them when there are at most
/// `cap`, otherwise each "everyone on client i" and a deterministic sample seeded by `label`.
pub(super) fn assignments(
    actors: usize,
    clients: usize,
    cap: usize,
    label: &str,
) -> Vec<Vec<usize>> {
    let cap = cap.max(1);
    let total = u32::try_from(actors)
        .ok()
        .and_then(|k| clients.checked_pow(k))
        .filter(|t| *t <= cap);
    if let Some(total) = total {
        return (0..total)
            .map(|mut n| {
                let mut digits = vec![0; actors];
                for d in digits.iter_mut().rev() {
                    *d = n % clients;
                    n /= clients;
                }
                digits
            })
            .collect();
    }
    let mut out: Vec<Vec<usize>> = (0..clients.min(cap)).map(|c| vec![c; actors]).collect();
    // FNV-1a of the label seeds a xorshift generator.
    let mut state = label.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    }) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let clients_u64 = u64::try_from(clients).unwrap_or(u64::MAX);
    let mut attempts = 0usize;
    while out.len() < cap && attempts < cap.saturating_mul(16) {
        attempts += 1;
        let candidate: Vec<usize> = (0..actors)
            .map(|_| usize::try_from(next() % clients_u64).unwrap_or(0))
            .collect();
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// `alice=0 bob=1`; for a script of more than [`MAX_LISTED_ACTORS`] actors, how many are on
/// each client and the assignment's number.
pub(super) fn assignment_label(
    actors: &[String],
    assignment: &[usize],
    n: usize,
    clients: usize,
) -> String {
    if actors.len() <= MAX_LISTED_ACTORS {
        let who: Vec<String> = actors
            .iter()
            .zip(assignment)
            .map(|(a, c)| format!("{a}={c}"))
            .collect();
        return who.join(" ");
    }
    let counts: Vec<String> = (0..clients)
        .map(|c| {
            let on = assignment.iter().filter(|x| **x == c).count();
            format!("{on} on client {c}")
        })
        .collect();
    format!(
        "assignment #{n} of {} actors: {}",
        actors.len(),
        counts.join(", ")
    )
}

/// Scripts with more actors print a summary of each assignment instead of every actor.
const MAX_LISTED_ACTORS: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_enumerate_all_below_the_cap() {
        let all = assignments(3, 2, 256, "x");
        assert_eq!(all.len(), 8);
        assert_eq!(all[0], vec![0, 0, 0]);
        assert_eq!(all[5], vec![1, 0, 1]);
    }

    #[test]
    fn assignments_sample_above_the_cap() {
        let some = assignments(20, 2, 10, "x");
        assert_eq!(some.len(), 10);
        assert_eq!(some[0], vec![0; 20]);
        assert_eq!(some[1], vec![1; 20]);
        assert_eq!(some, assignments(20, 2, 10, "x"));
    }
}

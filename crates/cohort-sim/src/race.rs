//! Fan-out mode: when members settle the commits that compete for an epoch, and which of them
//! they give to the library's rule (`cohort::winning_commit`).
//!
//! The library's rule picks the same commit for every member given the same commits, so the
//! simulation only has to make every member decide over the same set. It waits:
//! a commit reaches every online member within `delay_bound` steps of being sent (the simulation
//! keeps faults on commits inside that bound, and an offline member gets its whole queue when it
//! returns). Let `t1` be the earliest send time among the commits of an epoch. A member decides at
//! `t1 + settle` or later; by then it holds every commit sent up to `t1 + settle - delay_bound`,
//! which is the set it decides over, and nothing it lacks could change `t1`. So every member
//! gives the rule the same commits.

/// A commit competing for an epoch, as a member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The DS's sequence number of the commit (unique, in the order the DS received commits).
    pub seq: u64,
    /// The step the DS received it in (its timestamp).
    pub sent_at: u64,
}

/// When to decide, and over which commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleWindow {
    /// Steps after the earliest commit before deciding.
    pub settle: u64,
    /// The most steps a commit takes to reach an online member; less than `settle`.
    pub delay_bound: u64,
}

impl SettleWindow {
    /// At step `now`, the sequence numbers of the commits to decide over (those sent within
    /// `settle - delay_bound` steps of the earliest), or `None` to wait.
    pub fn contenders(&self, candidates: &[Candidate], now: u64) -> Option<Vec<u64>> {
        let t1 = candidates.iter().map(|c| c.sent_at).min()?;
        if now < t1 + self.settle {
            return None;
        }
        let window = self.settle.saturating_sub(self.delay_bound);
        Some(
            candidates
                .iter()
                .filter(|c| c.sent_at <= t1 + window)
                .map(|c| c.seq)
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(seq: u64, sent_at: u64) -> Candidate {
        Candidate { seq, sent_at }
    }

    #[test]
    fn members_decide_after_settling_over_the_window() {
        let w = SettleWindow {
            settle: 10,
            delay_bound: 4,
        };
        let cands = [c(1, 100), c(2, 104), c(3, 107)];
        assert_eq!(w.contenders(&cands, 109), None);
        // The commit sent at 107 came after the window.
        assert_eq!(w.contenders(&cands, 110), Some(vec![1, 2]));
        assert_eq!(w.contenders(&[], 500), None);
    }
}

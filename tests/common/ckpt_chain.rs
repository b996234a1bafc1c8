//! Expected wall-clock time of a checkpointed job, from absorbing Markov chains.
//!
//! Independent theory for the simulator's checkpoint schemes, derived only from
//! the schemes' descriptions below. Times in hours, rates per hour. Failures are
//! Poisson and strike whenever the job holds its nodes (restart, compute, stall,
//! waiting for a write).
//!
//! Each chain is embedded at phase boundaries: from a transient state the job runs
//! one phase of fixed length d; it survives with probability e^{-Λd} (next state)
//! or is cut by a failure (restart state). The reward of a state is the expected
//! time spent in its phase, E[min(X, d)] = (1 − e^{-Λd})/Λ. With Q the transitions
//! among transient states and t the rewards, the expected time to absorption
//! (job done) solves (I − Q) x = t.

use nalgebra::{DMatrix, DVector};

/// Transient part of an absorbing chain with expected-time rewards.
struct Chain {
    q: DMatrix<f64>,
    t: DVector<f64>,
}

impl Chain {
    fn new(states: usize) -> Self {
        Chain { q: DMatrix::zeros(states, states), t: DVector::zeros(states) }
    }

    /// From state `from`, a phase of length `d` exposed to failures at rate `lambda`.
    /// Survival leads to `ok` (`None`: absorbed, the job is done); a failure leads to
    /// `fail[i].0` with probability share `fail[i].1` (shares sum to 1).
    fn phase(&mut self, from: usize, d: f64, lambda: f64, ok: Option<usize>, fail: &[(usize, f64)]) {
        let survive = (-lambda * d).exp();
        self.t[from] += if lambda > 0.0 { -(-lambda * d).exp_m1() / lambda } else { d };
        if let Some(to) = ok {
            self.q[(from, to)] += survive;
        }
        for &(to, share) in fail {
            self.q[(from, to)] += (1.0 - survive) * share;
        }
    }

    /// (I − Q)^{-1} · rhs: expected total reward to absorption, per column of `rhs`.
    fn solve(&self, rhs: DMatrix<f64>) -> DMatrix<f64> {
        let n = self.q.nrows();
        (DMatrix::identity(n, n) - &self.q).lu().solve(&rhs).expect("I − Q is singular: the job can never finish")
    }

    /// Expected time to absorption (job done) from state `start`.
    fn time_from(&self, start: usize) -> f64 {
        self.solve(DMatrix::from_column_slice(self.t.len(), 1, self.t.as_slice()))[(start, 0)]
    }
}

/// Scheme 1, synchronous: n segments of compute τ then a checkpoint stall δ (the last
/// one too); a failure loses the current segment and costs a restart R (restarted if
/// struck). The job starts computing at time 0, without a restart.
///
/// States (segment i = 0..n−1, checkpoint i = the last one completed):
/// - `C(i)` = i: start of segment i. Phase τ+δ; survive → C(i+1) (done after the
///   last); fail → R(i).
/// - `R(i)` = n+i: restart from checkpoint i. Phase R; survive → C(i); fail → R(i).
///
/// Start: C(0). Closed form (see tests): n·e^{ΛR}(e^{Λ(τ+δ)} − 1)/Λ, exactly.
pub fn sync_time(n: usize, tau: f64, delta: f64, r: f64, lambda: f64) -> f64 {
    assert!(n >= 1);
    let (c, rs) = (|i: usize| i, |i: usize| n + i);
    let mut ch = Chain::new(2 * n);
    for i in 0..n {
        let next = (i + 1 < n).then(|| c(i + 1));
        ch.phase(c(i), tau + delta, lambda, next, &[(rs(i), 1.0)]);
        ch.phase(rs(i), r, lambda, Some(c(i)), &[(rs(i), 1.0)]);
    }
    ch.time_from(c(0))
}

/// Scheme 2, asynchronous: segment i computes τ, stalls s (snapshot i), then the job
/// computes segment i+1 while snapshot i is written in the background for w ≤ τ; it
/// counts once persisted. A failure loses everything since the last persisted
/// checkpoint (an in-flight write is abandoned), then restart R (restarted if
/// struck), then compute from there with no write in flight. After the last snapshot
/// the job waits, stalled, for its write to persist and is done then.
///
/// States (segments i = 1..n; checkpoint j = 0..n−1 persisted, 0 = the start):
/// - `A(i)` = i−1: start of segment i, checkpoint i−1 persisted, no write in flight.
///   Phase τ+s (τ+s+w for i = n); survive → B(i+1) (done for i = n); fail → R(i−1).
/// - `B(i)` = n−2+i, i = 2..n: start of segment i, checkpoint i−2 persisted, snapshot
///   i−1 in flight. Phase w (its write); survive → M(i); fail → R(i−2).
/// - `M(i)` = 2n−3+i, i = 2..n: w into segment i, checkpoint i−1 just persisted, no
///   write in flight. Phase τ−w+s (τ+s for i = n: rest of the compute, snapshot stall,
///   and the final write); survive → B(i+1) (done for i = n); fail → R(i−1).
/// - `R(j)` = 3n−2+j, j = 0..n−1: restart from checkpoint j. Phase R; survive →
///   A(j+1); fail → R(j).
///
/// Start: A(1).
pub fn async_time(n: usize, tau: f64, s: f64, w: f64, r: f64, lambda: f64) -> f64 {
    assert!(n >= 1 && (0.0..=tau).contains(&w), "need n ≥ 1 and 0 ≤ w ≤ τ");
    let a = |i: usize| i - 1;
    let b = |i: usize| n - 2 + i;
    let m = |i: usize| 2 * n - 3 + i;
    let rs = |j: usize| 3 * n - 2 + j;
    let mut ch = Chain::new(4 * n - 2);
    for i in 1..=n {
        let last = i == n;
        let next = (!last).then(|| b(i + 1));
        ch.phase(a(i), tau + s + if last { w } else { 0.0 }, lambda, next, &[(rs(i - 1), 1.0)]);
        if i >= 2 {
            ch.phase(b(i), w, lambda, Some(m(i)), &[(rs(i - 2), 1.0)]);
            ch.phase(m(i), tau - w + s + if last { w } else { 0.0 }, lambda, next, &[(rs(i - 1), 1.0)]);
        }
        ch.phase(rs(i - 1), r, lambda, Some(a(i)), &[(rs(i - 1), 1.0)]);
    }
    ch.time_from(a(1))
}

/// Scheme 3, two-level: cycles·k segments of τ, each followed by a synchronous
/// checkpoint, persistent (stall d_per) for every k-th, in memory (d_mem) otherwise;
/// checkpoint 0 (the start) is persistent and every checkpoint refreshes memory.
/// Failures of type M (rate λ_M) keep memory: restore the newest checkpoint, restart
/// r_mem. Type P (λ_P) wipes it: restore the newest persistent one, restart r_per.
/// Memory is intact again once a restart or a checkpoint completes, so during a
/// restart from persistent any failure restarts it (r_per), and during a restart from
/// memory a type-P failure switches to a restart from persistent.
///
/// States (N = cycles·k; checkpoint j = 0..N−1; its persistent base p(j) = k·⌊j/k⌋):
/// - `C(j)` = j: at checkpoint j, memory intact, start of segment j+1. Phase
///   τ + d_per if (j+1) % k = 0 else τ + d_mem; survive → C(j+1) (done at N);
///   fail → M(j) with share λ_M/Λ, P(⌊j/k⌋) with share λ_P/Λ; from C(0) (nothing
///   saved yet, nothing in memory) every failure → P(0), a restart from scratch.
/// - `M(j)` = N+j: restart from memory at checkpoint j. Phase r_mem; survive → C(j);
///   fail → M(j) (share λ_M/Λ), P(⌊j/k⌋) (share λ_P/Λ).
/// - `P(c)` = 2N+c, c = 0..cycles−1: restart from persistent checkpoint c·k. Phase
///   r_per; survive → C(c·k); fail → P(c).
///
/// Start: C(0). Λ = λ_M + λ_P.
#[allow(clippy::too_many_arguments)]
pub fn two_level_time(
    cycles: usize,
    k: usize,
    tau: f64,
    d_mem: f64,
    d_per: f64,
    r_mem: f64,
    r_per: f64,
    lambda_mem: f64,
    lambda_per: f64,
) -> f64 {
    two_level(cycles, k, tau, d_mem, d_per, r_mem, r_per, lambda_mem, lambda_per)[0]
}

/// Expected numbers of completed restarts (from memory, from persistent) in scheme 3:
/// expected visits to M(·) (resp. P(·)) times the success probability of one attempt.
#[allow(clippy::too_many_arguments)]
pub fn two_level_restarts(
    cycles: usize,
    k: usize,
    tau: f64,
    d_mem: f64,
    d_per: f64,
    r_mem: f64,
    r_per: f64,
    lambda_mem: f64,
    lambda_per: f64,
) -> (f64, f64) {
    let x = two_level(cycles, k, tau, d_mem, d_per, r_mem, r_per, lambda_mem, lambda_per);
    (x[1], x[2])
}

/// Scheme 3 solved once for three rewards, from C(0): [expected time, completed
/// restarts from memory, completed restarts from persistent].
#[allow(clippy::too_many_arguments)]
fn two_level(
    cycles: usize,
    k: usize,
    tau: f64,
    d_mem: f64,
    d_per: f64,
    r_mem: f64,
    r_per: f64,
    lambda_mem: f64,
    lambda_per: f64,
) -> [f64; 3] {
    assert!(cycles >= 1 && k >= 1);
    let big_n = cycles * k;
    let lambda = lambda_mem + lambda_per;
    let (sm, sp) = if lambda > 0.0 { (lambda_mem / lambda, lambda_per / lambda) } else { (0.0, 0.0) };
    let c = |j: usize| j;
    let m = |j: usize| big_n + j;
    let p = |j: usize| 2 * big_n + j / k; // restart from the persistent base of checkpoint j
    let mut ch = Chain::new(2 * big_n + cycles);
    let mut rewards = DMatrix::zeros(2 * big_n + cycles, 3);
    for j in 0..big_n {
        let d = tau + if (j + 1) % k == 0 { d_per } else { d_mem };
        let next = (j + 1 < big_n).then(|| c(j + 1));
        // Before the first checkpoint there is nothing in memory: any failure
        // restarts from scratch, as a restart from persistent checkpoint 0 (r_per).
        let fails: &[(usize, f64)] = if j == 0 { &[(p(0), 1.0)] } else { &[(m(j), sm), (p(j), sp)] };
        ch.phase(c(j), d, lambda, next, fails);
        ch.phase(m(j), r_mem, lambda, Some(c(j)), &[(m(j), sm), (p(j), sp)]);
        rewards[(m(j), 1)] = (-lambda * r_mem).exp();
    }
    for cy in 0..cycles {
        ch.phase(p(cy * k), r_per, lambda, Some(c(cy * k)), &[(p(cy * k), 1.0)]);
        rewards[(p(cy * k), 2)] = (-lambda * r_per).exp();
    }
    rewards.set_column(0, &ch.t);
    let x = ch.solve(rewards);
    [x[(c(0), 0)], x[(c(0), 1)], x[(c(0), 2)]]
}

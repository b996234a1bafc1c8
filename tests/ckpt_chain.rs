//! The Markov-chain checkpoint theory of tests/common/ckpt_chain.rs, checked against
//! closed forms, against each other in limiting cases, and against plain Monte Carlo
//! simulations of each scheme written here, event by event, without the simulator.
mod common;

use common::ckpt_chain::{async_time, sync_time, two_level_restarts, two_level_time};
use common::mean_se;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus as Rng;

const REPS: usize = 400_000;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// An exponential draw with the given rate (never, for a zero rate).
fn exp(rng: &mut Rng, rate: f64) -> f64 {
    if rate > 0.0 { -(1.0 - rng.random::<f64>()).ln() / rate } else { f64::INFINITY }
}

/// Monte Carlo mean of `sim` against `theory`: within 4 standard errors.
fn check_mc(what: &str, theory: f64, xs: &[f64]) {
    let (m, se) = mean_se(xs);
    let z = (m - theory) / se;
    println!("{what}: theory {theory:.6}, MC {m:.6} ± {se:.6} (z = {z:+.2})");
    assert!(z.abs() < 4.0, "{what}: theory {theory}, MC {m} ± {se}");
}

/// Daly's expectation for a job that starts computing (no restart at time 0):
/// each segment takes e^{ΛR}(e^{Λ(τ+δ)} − 1)/Λ in expectation. From the start of a
/// segment, T = E[min(X, τ+δ)] + P(fail)·(E[restart] + T) with E[min(X, d)] =
/// (1 − e^{-Λd})/Λ and E[restart] = (e^{ΛR} − 1)/Λ; solving gives the above. So no
/// correction is needed for the first start; starting with a restart would add
/// (e^{ΛR} − 1)/Λ.
fn sync_closed_form(n: usize, tau: f64, delta: f64, r: f64, lambda: f64) -> f64 {
    n as f64 * (lambda * r).exp() * (lambda * (tau + delta)).exp_m1() / lambda
}

fn sim_sync(rng: &mut Rng, n: usize, tau: f64, delta: f64, r: f64, lambda: f64) -> f64 {
    let (mut t, mut done) = (0.0, 0);
    while done < n {
        let x = exp(rng, lambda);
        if x >= tau + delta {
            t += tau + delta;
            done += 1;
            continue;
        }
        t += x;
        loop {
            let y = exp(rng, lambda);
            if y >= r {
                t += r;
                break;
            }
            t += y;
        }
    }
    t
}

/// Scheme 2, on an absolute clock with one pending failure time.
fn sim_async(rng: &mut Rng, n: usize, tau: f64, s: f64, w: f64, r: f64, lambda: f64) -> f64 {
    let mut t = 0.0;
    let mut next_fail = exp(rng, lambda);
    let mut persisted = 0; // newest persisted checkpoint
    let mut taken = 0; // snapshots taken since (and including) the persisted one
    let mut in_flight: Option<f64> = None; // when snapshot `taken` persists
    loop {
        let stall_end = t + tau + s;
        let end = if taken + 1 == n { stall_end + w } else { stall_end };
        if next_fail < end {
            if in_flight.is_some_and(|at| at <= next_fail) {
                persisted = taken;
            }
            t = next_fail;
            next_fail = t + exp(rng, lambda);
            while next_fail < t + r {
                t = next_fail;
                next_fail = t + exp(rng, lambda);
            }
            t += r;
            taken = persisted;
            in_flight = None;
            continue;
        }
        if in_flight.is_some_and(|at| at <= stall_end) {
            persisted = taken;
        }
        taken += 1;
        if taken == n {
            return end;
        }
        t = stall_end;
        in_flight = Some(t + w);
    }
}

/// Scheme 3, with two independent failure clocks. Returns (time, restarts from
/// memory, restarts from persistent).
#[allow(clippy::too_many_arguments)]
fn sim_two_level(
    rng: &mut Rng,
    cycles: usize,
    k: usize,
    tau: f64,
    (d_mem, d_per): (f64, f64),
    (r_mem, r_per): (f64, f64),
    (l_mem, l_per): (f64, f64),
) -> (f64, u32, u32) {
    #[derive(PartialEq)]
    enum Mode {
        Run,
        FromMem,
        FromPer,
    }
    let big_n = cycles * k;
    let (mut t, mut j, mut mode) = (0.0, 0, Mode::Run);
    let (mut next_m, mut next_p) = (exp(rng, l_mem), exp(rng, l_per));
    let (mut n_mem, mut n_per) = (0, 0);
    loop {
        let len = match mode {
            Mode::Run => tau + if (j + 1) % k == 0 { d_per } else { d_mem },
            Mode::FromMem => r_mem,
            Mode::FromPer => r_per,
        };
        let fail = next_m.min(next_p);
        if fail >= t + len {
            t += len;
            match mode {
                Mode::Run => {
                    j += 1;
                    if j == big_n {
                        return (t, n_mem, n_per);
                    }
                }
                Mode::FromMem => n_mem += 1,
                Mode::FromPer => n_per += 1,
            }
            mode = Mode::Run;
            continue;
        }
        t = fail;
        if next_m <= next_p {
            next_m = t + exp(rng, l_mem);
            if mode != Mode::FromPer {
                // Before the first checkpoint nothing is in memory: from scratch (r_per).
                mode = if j == 0 { Mode::FromPer } else { Mode::FromMem };
            }
        } else {
            next_p = t + exp(rng, l_per);
            mode = Mode::FromPer;
            j = j / k * k;
        }
    }
}

#[test]
fn sync_chain_matches_closed_form() {
    for &(n, tau, delta, r, lambda) in &[
        (1, 1.0, 0.1, 0.2, 0.5),
        (10, 0.5, 0.1, 0.2, 0.5),
        (40, 0.25, 0.05, 0.1, 1.0),
        (100, 0.05, 0.1, 0.5, 0.25),
        (5, 2.0, 0.05, 0.1, 1.0),
    ] {
        let (chain, closed) = (sync_time(n, tau, delta, r, lambda), sync_closed_form(n, tau, delta, r, lambda));
        println!("sync n={n} τ={tau} δ={delta} R={r} Λ={lambda}: chain {chain:.12}, closed {closed:.12}");
        assert!(close(chain, closed, 1e-9), "chain {chain} vs closed form {closed}");
    }
    assert!(close(sync_time(7, 0.5, 0.1, 0.2, 0.0), 7.0 * 0.6, 1e-12));
}

#[test]
fn sync_chain_matches_monte_carlo() {
    let (n, tau, delta, r, lambda) = (8, 0.5, 0.1, 0.2, 0.5);
    let mut rng = Rng::seed_from_u64(1);
    let xs: Vec<f64> = (0..REPS).map(|_| sim_sync(&mut rng, n, tau, delta, r, lambda)).collect();
    check_mc("sync", sync_time(n, tau, delta, r, lambda), &xs);
}

#[test]
fn async_reduces_to_sync_without_write() {
    for &(n, tau, s, r, lambda) in &[(1, 1.0, 0.1, 0.2, 0.5), (10, 0.5, 0.05, 0.2, 0.8), (50, 0.2, 0.02, 0.3, 0.3)] {
        let sync = sync_time(n, tau, s, r, lambda);
        assert!(close(async_time(n, tau, s, 0.0, r, lambda), sync, 1e-12));
        assert!(close(async_time(n, tau, s, 1e-9, r, lambda), sync, 1e-7));
        // A write in flight costs time: lost with its segment, and awaited at the end.
        assert!(async_time(n, tau, s, 0.5 * tau, r, lambda) > sync);
    }
    assert!(close(async_time(6, 0.5, 0.05, 0.3, 0.2, 0.0), 6.0 * 0.55 + 0.3, 1e-12));
    // One segment: a single phase of compute, stall and write, as sync with δ = s + w.
    let (x, closed) = (async_time(1, 1.0, 0.1, 0.5, 0.2, 0.7), sync_closed_form(1, 1.0, 0.6, 0.2, 0.7));
    assert!(close(x, closed, 1e-9), "{x} vs {closed}");
}

#[test]
fn async_chain_matches_monte_carlo() {
    let mut rng = Rng::seed_from_u64(2);
    // (n, τ, s, w, R, Λ): a mid-segment write, a write as long as the compute, one segment.
    for &(n, tau, s, w, r, lambda) in &[(6, 0.5, 0.05, 0.3, 0.2, 0.6), (5, 0.4, 0.1, 0.4, 0.3, 1.0), (1, 1.0, 0.1, 0.5, 0.2, 0.7)] {
        let xs: Vec<f64> = (0..REPS).map(|_| sim_async(&mut rng, n, tau, s, w, r, lambda)).collect();
        check_mc(&format!("async n={n} τ={tau} s={s} w={w} R={r} Λ={lambda}"), async_time(n, tau, s, w, r, lambda), &xs);
    }
}

#[test]
fn two_level_reduces_to_sync() {
    let (cycles, k, tau, d_mem, d_per, r_mem, r_per) = (4, 3, 0.4, 0.03, 0.2, 0.05, 0.5);
    let n = cycles * k;
    // k = 1, no type-P failures: every checkpoint persistent, restarts from memory
    // (from scratch before the first checkpoint: equal restart times make them alike).
    let x = two_level_time(n, 1, tau, d_mem, d_per, r_mem, r_mem, 0.7, 0.0);
    assert!(close(x, sync_time(n, tau, d_per, r_mem, 0.7), 1e-9));
    // k = 1, equal restarts: the two failure types only add up.
    let x = two_level_time(n, 1, tau, d_mem, d_per, 0.3, 0.3, 0.7, 0.4);
    assert!(close(x, sync_time(n, tau, d_per, 0.3, 1.1), 1e-9));
    // Only type-P failures: a cycle is one sync segment of compute kτ + (k−1)·d_mem and
    // stall d_per (whatever r_mem), and there are no restarts from memory.
    for (dm, rm) in [(d_per, r_per), (d_mem, r_mem)] {
        let x = two_level_time(cycles, k, tau, dm, d_per, rm, r_per, 0.0, 0.6);
        let sync = sync_time(cycles, k as f64 * tau + (k - 1) as f64 * dm, d_per, r_per, 0.6);
        assert!(close(x, sync, 1e-9), "{x} vs {sync}");
        let (nm, np) = two_level_restarts(cycles, k, tau, dm, d_per, rm, r_per, 0.0, 0.6);
        assert!(nm == 0.0 && close(np, cycles as f64 * (0.6 * (k as f64 * tau + (k - 1) as f64 * dm + d_per)).exp_m1(), 1e-9));
    }
    // Only type-M failures, equal stalls: sync over every segment; each failed attempt
    // (1/p − 1 per segment) is followed by one completed restart from memory.
    // The first segment's restarts are from scratch, counted as persistent.
    let x = two_level_time(cycles, k, tau, d_per, d_per, r_mem, r_mem, 0.9, 0.0);
    assert!(close(x, sync_time(n, tau, d_per, r_mem, 0.9), 1e-9));
    let (nm, np) = two_level_restarts(cycles, k, tau, d_per, d_per, r_mem, r_per, 0.9, 0.0);
    let per_segment = (0.9 * (tau + d_per)).exp_m1();
    assert!(close(nm, (n - 1) as f64 * per_segment, 1e-9) && close(np, per_segment, 1e-9), "{nm} {np}");
    // No failures at all.
    let x = two_level_time(cycles, k, tau, d_mem, d_per, r_mem, r_per, 0.0, 0.0);
    assert!(close(x, n as f64 * tau + (n - cycles) as f64 * d_mem + cycles as f64 * d_per, 1e-12));
}

#[test]
fn two_level_chain_matches_monte_carlo() {
    let mut rng = Rng::seed_from_u64(3);
    // (cycles, k, τ, d_mem, d_per, r_mem, r_per, λ_M, λ_P)
    for &(cycles, k, tau, dm, dp, rm, rp, lm, lp) in &[
        (3, 4, 0.3, 0.02, 0.15, 0.05, 0.4, 0.8, 0.3),
        (2, 3, 0.5, 0.05, 0.3, 0.2, 0.6, 1.5, 0.5),
        (1, 5, 0.2, 0.01, 0.1, 0.1, 0.3, 0.4, 1.2),
    ] {
        let runs: Vec<(f64, u32, u32)> = (0..REPS).map(|_| sim_two_level(&mut rng, cycles, k, tau, (dm, dp), (rm, rp), (lm, lp))).collect();
        let what = format!("two-level cycles={cycles} k={k} τ={tau} d=({dm},{dp}) r=({rm},{rp}) λ=({lm},{lp})");
        let (nm, np) = two_level_restarts(cycles, k, tau, dm, dp, rm, rp, lm, lp);
        check_mc(
            &format!("{what} time"),
            two_level_time(cycles, k, tau, dm, dp, rm, rp, lm, lp),
            &runs.iter().map(|x| x.0).collect::<Vec<_>>(),
        );
        check_mc(&format!("{what} mem restarts"), nm, &runs.iter().map(|x| x.1 as f64).collect::<Vec<_>>());
        check_mc(&format!("{what} per restarts"), np, &runs.iter().map(|x| x.2 as f64).collect::<Vec<_>>());
    }
}

//! The classic "hold model" of event-set benchmarks: with `n` events pending,
//! pop the earliest and push one new event at now + Exp(mean). The pending count
//! stays at `n`, so this measures the event queue at that size.
//!
//! `engine` goes through the real `gigasim::engine` API (a tiny `Model` whose
//! handler schedules one event, driven by `engine::run`). The bare queues are
//! references: std's binary heap, dary_heap's 4-ary heap and radix-heap's
//! monotone radix heap, each holding (time, insertion seq, payload). Every
//! variant draws the same exponential delays from the same generator, so the
//! difference is the queue (and, for `engine`, the run loop around it).
//!
//! Throughput is reported in events (hold operations) per second.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dary_heap::QuaternaryHeap;
use gigasim::config::exp_draw;
use gigasim::engine::{self, Duration, Model, Scheduler, SimRng, SimTime};
use radix_heap::RadixHeapMap;
use rand::SeedableRng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;

/// Hold operations per measured iteration.
const BATCH: u64 = 10_000;
/// Mean of the exponential hold time, in ms (one hour).
const MEAN_MS: f64 = 3_600_000.0;
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

#[inline]
fn exp_ms(rng: &mut SimRng) -> u64 {
    exp_draw(rng, MEAN_MS).round() as u64
}

/// A bare heap of Reverse((time, seq, payload)) through the hold model; the
/// heap types share no trait, hence a macro.
macro_rules! bare_heap {
    ($g:expr, $name:literal, $heap:ty, $n:expr) => {
        $g.bench_with_input(BenchmarkId::new($name, $n), &$n, |b, &n| {
            let mut rng = SimRng::seed_from_u64(1);
            let mut h: $heap = <$heap>::with_capacity(n);
            let mut seq = 0u64;
            for i in 0..n {
                h.push(Reverse((exp_ms(&mut rng), seq, i as u32)));
                seq += 1;
            }
            b.iter(|| {
                for _ in 0..BATCH {
                    let Reverse((t, _, p)) = h.pop().expect("n > 0");
                    h.push(Reverse((t + exp_ms(&mut rng), seq, p)));
                    seq += 1;
                }
                black_box(h.len())
            });
        });
    };
}

/// The engine's hold model: every event schedules its successor.
struct Hold {
    sched: Scheduler<u32>,
    rng: SimRng,
    checksum: u64,
}

impl Model for Hold {
    type Event = u32;
    fn scheduler(&mut self) -> &mut Scheduler<u32> {
        &mut self.sched
    }
    fn handle(&mut self, ev: u32) {
        self.checksum = self.checksum.wrapping_add(ev as u64);
        let d = exp_ms(&mut self.rng);
        self.sched.after(Duration::from_millis(d), ev);
    }
}

fn hold(c: &mut Criterion) {
    let mut g = c.benchmark_group("hold");
    g.throughput(Throughput::Elements(BATCH));
    g.sample_size(20);
    g.warm_up_time(std::time::Duration::from_millis(800));
    g.measurement_time(std::time::Duration::from_secs(3));

    for &n in &SIZES {
        // Engine: run() to a horizon that lets about BATCH events through; the
        // measured time is scaled to exactly BATCH events per iteration.
        g.bench_with_input(BenchmarkId::new("engine", n), &n, |b, &n| {
            let mut m = Hold { sched: Scheduler::with_capacity(n), rng: SimRng::seed_from_u64(1), checksum: 0 };
            for i in 0..n {
                let d = exp_ms(&mut m.rng);
                m.sched.at(SimTime::from_millis(d), i as u32);
            }
            let window = ((BATCH as f64 * MEAN_MS / n as f64).round() as u64).max(1);
            b.iter_custom(|iters| {
                let (mut spent, mut events) = (std::time::Duration::ZERO, 0u64);
                while events < iters * BATCH {
                    let horizon = SimTime::from_millis(m.sched.now().as_millis() + window);
                    let t0 = std::time::Instant::now();
                    let stats = engine::run(&mut m, horizon);
                    spent += t0.elapsed();
                    events += stats.processed;
                }
                assert_eq!(m.sched.pending(), n);
                black_box(m.checksum);
                spent.mul_f64((iters * BATCH) as f64 / events as f64)
            });
        });

        bare_heap!(g, "std_binary_heap", BinaryHeap<Reverse<(u64, u64, u32)>>, n);
        bare_heap!(g, "dary4_heap", QuaternaryHeap<Reverse<(u64, u64, u32)>>, n);

        // Radix heap keyed on time alone (a max-heap, hence Reverse). It does not
        // keep FIFO order among equal times: a speed reference only.
        g.bench_with_input(BenchmarkId::new("radix_heap", n), &n, |b, &n| {
            let mut rng = SimRng::seed_from_u64(1);
            let mut h: RadixHeapMap<Reverse<u64>, (u64, u32)> = RadixHeapMap::new_at(Reverse(0));
            let mut seq = 0u64;
            for i in 0..n {
                h.push(Reverse(exp_ms(&mut rng)), (seq, i as u32));
                seq += 1;
            }
            b.iter(|| {
                for _ in 0..BATCH {
                    let (Reverse(t), (_, p)) = h.pop().expect("n > 0");
                    h.push(Reverse(t + exp_ms(&mut rng)), (seq, p));
                    seq += 1;
                }
                black_box(h.len())
            });
        });
    }
    g.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);

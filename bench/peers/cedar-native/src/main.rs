//! The native Cedar peer of `npm run bench -- peers`: reads the benchmark corpus, builds each
//! set's Cedar policies once, checks that Cedar decides every request as Palisade's decision
//! implies (allow, or deny for a forbid), then times `Authorizer::is_authorized` on requests
//! built before timing, and prints the figures as JSON on stdout.
use cedar_policy::{Authorizer, Context, Decision, Entities, EntityId, EntityTypeName, EntityUid, PolicySet, Request};
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::str::FromStr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, for the memory a loaded policy set holds.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        System.dealloc(p, l)
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

fn fail(msg: String) -> ! {
    eprintln!("cedar peer: {msg}");
    std::process::exit(1)
}

fn uid(v: &Value) -> EntityUid {
    let t = v["type"].as_str().unwrap_or_else(|| fail(format!("entity without type: {v}")));
    let id = v["id"].as_str().unwrap_or_else(|| fail(format!("entity without id: {v}")));
    let tn = EntityTypeName::from_str(t).unwrap_or_else(|e| fail(format!("{t}: {e}")));
    EntityUid::from_type_name_and_id(tn, EntityId::new(id))
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| fail("usage: cedar-peer CORPUS.json".into()));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let corpus: Value = serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("corpus: {e}")));
    let timing = &corpus["timing"];
    let batches = timing["batches"].as_u64().unwrap_or(9) as usize;
    let batch_ms = timing["batchMs"].as_u64().unwrap_or(100);
    let warmup_ms = timing["warmupMs"].as_u64().unwrap_or(1000);
    let authorizer = Authorizer::new();
    let entities = Entities::empty();
    let mut out = serde_json::Map::new();
    for set in corpus["sets"].as_array().unwrap_or_else(|| fail("no sets".into())) {
        let name = set["name"].as_str().unwrap_or("?");
        let cedar = &set["cedar"];
        let Some(policies) = cedar["policies"].as_str() else { continue };
        let before = LIVE.load(Ordering::Relaxed);
        let ps = PolicySet::from_str(policies).unwrap_or_else(|e| fail(format!("{name}: {e}")));
        let mem = LIVE.load(Ordering::Relaxed) - before;
        let requests: Vec<Request> = cedar["requests"]
            .as_array()
            .unwrap_or_else(|| fail(format!("{name}: no requests")))
            .iter()
            .map(|r| {
                let ctx = Context::from_json_value(r["context"].clone(), None).unwrap_or_else(|e| fail(format!("{name}: context: {e}")));
                Request::new(uid(&r["principal"]), uid(&r["action"]), uid(&r["resource"]), ctx, None).unwrap_or_else(|e| fail(format!("{name}: request: {e}")))
            })
            .collect();
        let want = cedar["expected"].as_array().unwrap_or_else(|| fail(format!("{name}: no expected decisions")));
        for (i, req) in requests.iter().enumerate() {
            let got = match authorizer.is_authorized(req, &ps, &entities).decision() {
                Decision::Allow => "allow",
                Decision::Deny => "deny",
            };
            if Some(got) != want[i].as_str() {
                fail(format!("{name}: request {i}: Cedar decided {got}, Palisade implies {}", want[i]));
            }
        }
        let n = requests.len();
        let warm_end = Instant::now() + Duration::from_millis(warmup_ms);
        let mut calls: u64 = 0;
        let mut sink = 0usize;
        while Instant::now() < warm_end {
            for r in &requests {
                sink += (authorizer.is_authorized(r, &ps, &entities).decision() == Decision::Allow) as usize;
                calls += 1;
            }
        }
        let per_batch = ((calls * batch_ms / warmup_ms) as usize).max(n);
        let mut samples: Vec<f64> = Vec::with_capacity(batches);
        for _ in 0..batches {
            let t0 = Instant::now();
            for i in 0..per_batch {
                sink += (authorizer.is_authorized(&requests[i % n], &ps, &entities).decision() == Decision::Allow) as usize;
            }
            samples.push(t0.elapsed().as_nanos() as f64 / per_batch as f64);
        }
        std::hint::black_box(sink);
        samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
        out.insert(
            name.to_string(),
            json!({ "ns": samples[samples.len() / 2], "minNs": samples[0], "maxNs": samples[samples.len() - 1], "memBytes": mem.max(0), "checked": n }),
        );
    }
    println!("{}", json!({ "peer": "cedar-native", "version": "4.13.0", "sets": out }));
}

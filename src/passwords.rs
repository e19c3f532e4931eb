//! Password hashing with Argon2id (the crate's defaults: m=19456 KiB, t=2, p=1), and the
//! gate that bounds how many run at once in a request (`HashingGate`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// Each Argon2 run takes 19 MiB for its duration; unbounded, 40 parallel sign-ins took a
/// process from 20 MB to 800 MB (issue 14). At most two per core run at once, and never
/// more than `MAX_HASHING_AT_ONCE` (4 × 19 MiB): a sign-in takes ~25 ms, so four at once
/// already check 150 a second, and the memory bound must not grow with the machine.
pub const MAX_HASHING_AT_ONCE: usize = 4;
/// How long a request waits for a free slot before it is answered `503`.
const WAIT_FOR_SLOT: Duration = Duration::from_secs(1);

/// Every slot was taken for `WAIT_FOR_SLOT`: the caller answers `503` with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Makes the allocator hand blocks of 1 MiB and more straight back to the system when
/// freed. By default glibc raises that threshold to the size of the last freed block, after
/// which every 19 MiB Argon2 block stays resident in a thread's arena: measured, 200
/// parallel sign-ins held ~460 MiB for good even with four checks at a time. Call once at
/// the start of `serve`, before other threads start.
pub fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const ONE_MIB: libc::c_int = 1 << 20;
        // SAFETY: mallopt only sets allocator parameters; called before threads start.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, ONE_MIB);
        }
    }
}

/// A job for the hashing threads.
type Job = Box<dyn FnOnce() + Send>;

/// The bound on password hashing and verification in requests: a fixed set of threads
/// that do nothing else, a semaphore in front of them, and the figures `/metrics` shows
/// (in flight now, the most ever in flight, the bound). Own threads rather than the
/// runtime's blocking pool, which the database reads need: a burst of sign-ins then never
/// holds up a page, and the 19 MiB blocks live on `limit` threads only (with
/// `return_large_blocks_to_the_system`, 200 parallel sign-ins peaked at 128 MiB).
pub struct HashingGate {
    slots: Arc<Semaphore>,
    limit: usize,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    /// Runs finished since start, whatever they came to.
    done: Arc<AtomicUsize>,
    jobs: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl HashingGate {
    pub fn new(limit: usize) -> HashingGate {
        let limit = limit.max(1);
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..limit {
            let queue = queue.clone();
            // The threads end when the gate (the only sender) is dropped.
            std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || loop {
                    let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                })
                .expect("starting a password hashing thread");
        }
        HashingGate {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            in_flight: Arc::default(),
            peak: Arc::default(),
            done: Arc::default(),
            jobs: std::sync::Mutex::new(jobs),
        }
    }

    /// Two per core, at most `MAX_HASHING_AT_ONCE`.
    pub fn for_this_machine() -> HashingGate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        HashingGate::new((2 * cores).min(MAX_HASHING_AT_ONCE))
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// The most runs ever in flight at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Runs finished since start: every Argon2 run of a request is counted here, which is
    /// how the tests see that a page's hashing went through the gate.
    pub fn runs(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }

    /// Runs `work` (hashing or verifying) on a hashing thread once a slot is free, or
    /// answers `Busy` when none frees up in time.
    pub async fn run<T, F>(&self, work: F) -> Result<anyhow::Result<T>, Busy>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = tokio::time::timeout(WAIT_FOR_SLOT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let in_flight = self.in_flight.clone();
        let finished = self.done.clone();
        let (done, result) = tokio::sync::oneshot::channel();
        // The slot is held by the job itself: a request that goes away meanwhile does not
        // free it before the work is done.
        let job: Job = Box::new(move || {
            let result = work();
            in_flight.fetch_sub(1, Ordering::SeqCst);
            finished.fetch_add(1, Ordering::SeqCst);
            drop(permit);
            let _ = done.send(result);
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job);
        if sent.is_err() {
            return Ok(Err(anyhow::anyhow!("the password hashing threads stopped")));
        }
        Ok(result
            .await
            .map_err(|_| anyhow::anyhow!("password hashing stopped")))
    }
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password that is easy to copy: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_verifies_only_its_password() {
        let hash = super::hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &hash));
        assert!(!super::verify("wrong", &hash));
        assert!(!super::verify("correct horse", "not a hash"));
    }
}

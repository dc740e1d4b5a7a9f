//! Password hashing with Argon2id. Hashing is slow on purpose, so it runs on low-priority
//! threads of its own and never stalls the async executor or starves page rendering. Unknown
//! emails still pay for a verification.

use crate::error::{AppError, internal};
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};
use std::sync::{
    Arc, Mutex, OnceLock,
    atomic::{AtomicUsize, Ordering},
    mpsc,
};
use tokio::sync::oneshot;

/// OWASP's recommended minimum for Argon2id: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    // The constants are within Argon2's documented bounds, so building them cannot fail.
    let params = Params::new(19_456, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of nothing anyone knows, verified against when the email is unknown so that a
/// wrong email and a wrong password take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_now("emporium-dummy-password-never-used").unwrap_or_default())
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A unit of hashing work for the password threads.
type Job = Box<dyn FnOnce() + Send>;

/// Hashing jobs waiting or running at most: about three seconds of work on one thread. More
/// are refused at once (503 with Retry-After) instead of queueing without end.
const MOST_JOBS: usize = 64;

/// Runs Argon2 work on threads of its own: as many as there are cores minus one, each at a
/// lower scheduling priority than the threads serving requests. A burst of sign-ins then queues
/// for those threads and yields the CPU to page rendering instead of competing with it.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not finished.
    taken: Arc<AtomicUsize>,
    most: usize,
}

/// Frees a job's place when its caller is done with it (or gone).
struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Passwords {
    pub fn new() -> Self {
        Self::bounded(MOST_JOBS)
    }

    /// Password threads that take at most `most` jobs at a time.
    fn bounded(most: usize) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores.saturating_sub(1).max(1) {
            let queue = Arc::clone(&queue);
            let spawned = std::thread::Builder::new()
                .name(format!("password-{n}"))
                .spawn(move || {
                    lower_priority();
                    // The loop ends when every `Passwords` handle is gone.
                    while let Ok(job) = queue
                        .lock()
                        .map_err(drop)
                        .and_then(|q| q.recv().map_err(drop))
                    {
                        job();
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password thread");
            }
        }
        Self {
            jobs,
            taken: Arc::default(),
            most,
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let place = Place(Arc::clone(&self.taken));
        if self.taken.fetch_add(1, Ordering::SeqCst) >= self.most {
            return Err(AppError::Unavailable(
                "Many people are signing in right now. Please try again in a few seconds.".into(),
            ));
        }
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = done.send(work());
            }))
            .map_err(|e| internal(&e))?;
        let outcome = result.await.map_err(|e| internal(&e));
        drop(place);
        outcome
    }

    /// Hashes a new password into a PHC string.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_now(&password))
            .await?
            .map_err(|e| internal(&e))
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is none.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, AppError> {
        self.run(move || match phc {
            Some(phc) => verify_now(&password, &phc),
            None => {
                verify_now(&password, dummy_hash());
                false
            }
        })
        .await
    }
}

/// Lowers the calling thread's priority to the lowest (nice 19). On Linux the nice value is per thread.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `who = 0` names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 19);
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// Rejects very guessable passwords, taking the user's own name and email into account.
pub fn check_strength(password: &str, hints: &[&str]) -> Result<(), String> {
    // "Ann Lee" should also catch "annlee" and "lee"; "ann@example.com" should catch "ann".
    let mut words: Vec<String> = Vec::new();
    for hint in hints {
        let lower = hint.to_lowercase();
        words.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 2)
                .map(str::to_owned),
        );
        words.push(lower.chars().filter(|c| c.is_alphanumeric()).collect());
        words.push(lower);
    }
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(password, &words);
    if estimate.score() >= zxcvbn::Score::Three {
        return Ok(());
    }
    let advice = estimate
        .feedback()
        .and_then(|f| f.warning().map(|w| format!(" ({w})")))
        .unwrap_or_default();
    Err(format!(
        "This password is too easy to guess{advice}. Try a few unrelated words together."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify_round_trips() {
        let passwords = Passwords::new();
        let phc = passwords
            .hash("correct horse battery staple".into())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            passwords
                .verify("correct horse battery staple".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("correct horse battery stapler".into(), Some(phc))
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_frees_its_places() {
        let passwords = Passwords::bounded(1);
        let (first, second) = futures::join!(
            passwords.verify("one".into(), None),
            passwords.verify("two".into(), None)
        );
        assert_eq!(first, Ok(false));
        assert!(
            matches!(second, Err(AppError::Unavailable(_))),
            "{second:?}"
        );
        assert_eq!(passwords.verify("three".into(), None).await, Ok(false));
    }

    #[tokio::test]
    async fn unknown_accounts_and_garbage_hashes_never_verify() {
        let passwords = Passwords::new();
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
        assert!(
            !passwords
                .verify("anything".into(), Some("not a hash".into()))
                .await
                .unwrap()
        );
    }

    #[test]
    fn guessable_passwords_are_refused() {
        for weak in [
            "password",
            "password123",
            "qwertyuiop",
            "11111111",
            "annlee2024",
        ] {
            assert!(
                check_strength(weak, &["Ann Lee", "ann@example.com"]).is_err(),
                "{weak:?}"
            );
        }
        assert!(check_strength("violet tractor sings softly", &[]).is_ok());
    }
}

//! Signing keys reached asynchronously (a key service over the network, a remote HSM), for the
//! [`AsyncClient`](crate::AsyncClient).
//!
//! The protocol code is sans-IO and signs through the synchronous [`Signer`] trait, in the
//! middle of an operation (a commit signs its path's leaf, its content and the GroupInfo, each
//! over data that depends on the one before). To await a remote signer without a second,
//! asynchronous build of the protocol code, an operation that signs runs on a thread of its
//! own with a bridging `Signer`: each signature it needs is handed to the awaiting task, which
//! awaits the [`AsyncSigner`] and hands the signature back. The task never blocks; the thread
//! only waits for signatures. Dropping the operation's future cancels it: pending and later
//! signature requests fail, and the operation returns without effect.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use cohort_crypto::{CryptoError, CryptoErrorKind, SignaturePublicKey, SignatureScheme, Signer};

use crate::Error;

/// A signing key reached asynchronously, for an [`AsyncClient`](crate::AsyncClient) built with
/// [`ClientBuilder::async_signer`](crate::ClientBuilder::async_signer).
///
/// `sign` returns the signature of `message` in the scheme's wire format (RFC 9420 §5.1.2:
/// the message is already the `SignContent` to sign, labels included).
///
/// ```
/// use async_trait::async_trait;
/// use cohort::AsyncSigner;
/// use cohort::crypto::{CryptoError, SignaturePublicKey, SignatureScheme, Signer, SoftwareSigner};
///
/// /// Stands in for a key service: here it signs in process.
/// #[derive(Debug)]
/// struct KeyService(SoftwareSigner);
///
/// #[async_trait]
/// impl AsyncSigner for KeyService {
///     fn signature_scheme(&self) -> SignatureScheme {
///         self.0.signature_scheme()
///     }
///     fn public_key(&self) -> &SignaturePublicKey {
///         self.0.public_key()
///     }
///     async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
///         // A real service would send `message` over the network and await the answer.
///         self.0.sign(message)
///     }
/// }
/// ```
#[async_trait]
pub trait AsyncSigner: Send + Sync + fmt::Debug {
    /// The scheme of the key.
    fn signature_scheme(&self) -> SignatureScheme;

    /// The public key.
    fn public_key(&self) -> &SignaturePublicKey;

    /// Signs `message`.
    ///
    /// # Errors
    /// The key service's failure, as a [`CryptoError`] (kind `Backend`, with the cause as its
    /// source).
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// A signature request from the operation's thread, with where to send the answer.
type Request = (Vec<u8>, mpsc::Sender<Result<Vec<u8>, CryptoError>>);

/// What the operation's thread and the awaiting task share.
struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    requests: VecDeque<Request>,
    done: Option<T>,
    waker: Option<Waker>,
    cancelled: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The lock guards plain data and no code panics while holding it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wake(state: &mut State<T>) {
        if let Some(w) = state.waker.take() {
            w.wake();
        }
    }
}

/// The `Signer` the operation's thread signs with: each call becomes a request to the task.
struct Bridge<T> {
    shared: Arc<Shared<T>>,
    scheme: SignatureScheme,
    public_key: SignaturePublicKey,
}

impl<T> fmt::Debug for Bridge<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bridge")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

fn cancelled() -> CryptoError {
    CryptoError::with_source(
        CryptoErrorKind::Backend,
        "the operation awaiting the asynchronous signer was dropped",
    )
}

impl<T: Send> Signer for Bridge<T> {
    fn signature_scheme(&self) -> SignatureScheme {
        self.scheme
    }

    fn public_key(&self) -> &SignaturePublicKey {
        &self.public_key
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (tx, rx) = mpsc::channel();
        {
            let mut state = self.shared.lock();
            if state.cancelled {
                return Err(cancelled());
            }
            state.requests.push_back((message.to_vec(), tx));
            Shared::wake(&mut state);
        }
        // The task answers, or drops the request when cancelled.
        rx.recv().unwrap_or_else(|_| Err(cancelled()))
    }
}

/// What the task is woken for.
enum Event<T> {
    Sign(Request),
    Done(T),
}

/// Waits for the next request or for the operation's end.
struct Next<'a, T>(&'a Shared<T>);

impl<T> Future for Next<'_, T> {
    type Output = Event<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Event<T>> {
        let mut state = self.0.lock();
        if let Some(request) = state.requests.pop_front() {
            return Poll::Ready(Event::Sign(request));
        }
        if let Some(done) = state.done.take() {
            return Poll::Ready(Event::Done(done));
        }
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Cancels the operation if the awaiting future is dropped before it ends.
struct CancelOnDrop<T>(Arc<Shared<T>>);

impl<T> Drop for CancelOnDrop<T> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.cancelled = true;
        // Dropping the answer channels fails the thread's pending `sign`.
        state.requests.clear();
    }
}

/// Runs `op` on a thread of its own, signing through `signer`, and returns its output.
///
/// # Errors
/// `op`'s error (a signing failure among them), or [`Error::Internal`] if `op` panicked.
pub(crate) async fn run<T, F>(signer: Arc<dyn AsyncSigner>, op: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&dyn Signer) -> Result<T, Error> + Send + 'static,
{
    let shared = Arc::new(Shared::<Result<T, Error>> {
        state: Mutex::new(State {
            requests: VecDeque::new(),
            done: None,
            waker: None,
            cancelled: false,
        }),
    });
    let bridge = Bridge {
        shared: Arc::clone(&shared),
        scheme: signer.signature_scheme(),
        public_key: signer.public_key().clone(),
    };
    let guard = CancelOnDrop(Arc::clone(&shared));
    let thread = std::thread::Builder::new()
        .name("cohort-async-signer".into())
        .spawn(move || {
            // A panic must still end the wait, or the task would wait for ever.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&bridge)))
                .unwrap_or(Err(Error::Internal("the operation panicked")));
            let mut state = bridge.shared.lock();
            state.done = Some(outcome);
            Shared::wake(&mut state);
        })
        .map_err(|_| Error::Internal("could not start the signing thread"))?;
    let outcome = loop {
        match Next(&shared).await {
            Event::Sign((message, answer)) => {
                // The thread waits for this answer; it cannot have gone.
                let _ = answer.send(signer.sign(&message).await);
            }
            Event::Done(outcome) => break outcome,
        }
    };
    drop(guard);
    // The thread has stored its outcome and is returning.
    thread
        .join()
        .map_err(|_| Error::Internal("the signing thread panicked"))?;
    outcome
}

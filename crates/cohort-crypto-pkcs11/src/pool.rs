//! A pool of logged-in sessions, shared by every key handle of one token.
//!
//! A PKCS#11 session must not be used by two threads at once (`cryptoki::session::Session` is
//! `Send` but not `Sync`), and a signature is one `C_SignInit` + `C_Sign` pair that must not
//! interleave with another on the same session. The pool hands each call a session of its own:
//! an idle one, or a new one while fewer than `max` are open, or else it waits for one to come
//! back.
//!
//! Login state belongs to the application, not to a session (PKCS#11 §5.6): the first session
//! logs in with the PIN, later ones find themselves logged in already. When the last session of
//! the application closes, the token logs the application out and may invalidate its object
//! handles (SoftHSM2 does), so the pool keeps one extra *anchor* session open, unused, for as
//! long as it lives. Every new session still checks its state and logs in again if needed. A
//! session that saw any error is closed rather than reused, since a failed call may leave an
//! operation active on it.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CryptokiError, RvError};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::Pkcs11Error;

pub(crate) struct SessionPool {
    pkcs11: Pkcs11,
    slot: Slot,
    pin: AuthPin,
    login_required: bool,
    max: usize,
    state: Mutex<PoolState>,
    returned: Condvar,
    /// Never used for an operation: it keeps the login and the object handles alive. In a Mutex
    /// only because a `Session` is not `Sync`.
    _anchor: Mutex<Session>,
}

struct PoolState {
    idle: Vec<Session>,
    open: usize,
}

impl SessionPool {
    /// A pool for `slot` that logs in with `pin` when the token requires it. Opens the anchor
    /// session and logs in at once, so that a wrong PIN fails here.
    pub(crate) fn new(
        pkcs11: Pkcs11,
        slot: Slot,
        pin: AuthPin,
        login_required: bool,
        max: usize,
    ) -> Result<Self, Pkcs11Error> {
        let anchor = open_logged_in(&pkcs11, slot, &pin, login_required)?;
        let pool = Self {
            pkcs11,
            slot,
            pin,
            login_required,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
            _anchor: Mutex::new(anchor),
        };
        Ok(pool)
    }

    /// Runs `f` on a logged-in session of its own.
    ///
    /// When the token answers `CKR_USER_NOT_LOGGED_IN` (it was reset, or something else in the
    /// application logged out), the pool logs in again and runs `f` once more.
    pub(crate) fn with_session<T>(
        &self,
        mut f: impl FnMut(&Session) -> Result<T, CryptokiError>,
    ) -> Result<T, Pkcs11Error> {
        let session = self.acquire()?;
        let mut result = f(&session);
        if let Err(CryptokiError::Pkcs11(RvError::UserNotLoggedIn, _)) = result {
            if let Err(e) = self.log_in(&session) {
                self.release(session, false);
                return Err(e);
            }
            result = f(&session);
        }
        self.release(session, result.is_ok());
        result.map_err(Pkcs11Error::from)
    }

    /// The number of pooled sessions open now (idle or in use), not counting the anchor.
    pub(crate) fn open_sessions(&self) -> usize {
        self.lock().open
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        // The state is two plain fields, consistent after every statement: a panic elsewhere
        // while the lock was held cannot have left it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn acquire(&self) -> Result<Session, Pkcs11Error> {
        let mut state = self.lock();
        loop {
            if let Some(session) = state.idle.pop() {
                return Ok(session);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return self.open_session().inspect_err(|_| {
                    self.lock().open -= 1;
                    self.returned.notify_one();
                });
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn release(&self, session: Session, healthy: bool) {
        let mut state = self.lock();
        if healthy {
            state.idle.push(session);
            drop(state);
        } else {
            state.open -= 1;
            drop(state);
            // Closing may call into the module: outside the lock.
            drop(session);
        }
        self.returned.notify_one();
    }

    fn open_session(&self) -> Result<Session, Pkcs11Error> {
        open_logged_in(&self.pkcs11, self.slot, &self.pin, self.login_required)
    }

    fn log_in(&self, session: &Session) -> Result<(), Pkcs11Error> {
        log_in(session, &self.pin)
    }
}

/// Opens a read-write session on `slot`, logging in when the token wants it and the
/// application is not logged in yet.
fn open_logged_in(
    pkcs11: &Pkcs11,
    slot: Slot,
    pin: &AuthPin,
    login_required: bool,
) -> Result<Session, Pkcs11Error> {
    let session = pkcs11.open_rw_session(slot)?;
    if login_required {
        let state = session.get_session_info()?.session_state();
        if matches!(state, SessionState::RoPublic | SessionState::RwPublic) {
            log_in(&session, pin)?;
        }
    }
    Ok(session)
}

fn log_in(session: &Session, pin: &AuthPin) -> Result<(), Pkcs11Error> {
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(CryptokiError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

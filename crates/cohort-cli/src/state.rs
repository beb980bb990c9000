//! A client's state on disk, for `keypackage` and `group`: a directory holding
//!
//! * `client.json`: the client's identity (the basic credential's, as UTF-8 text) and cipher
//!   suite, `{"identity": "alice", "cipher_suite": 1}`;
//! * `signature.key`: its signature private key, raw bytes (readable by the owner only on Unix);
//! * `client.sqlite`: the SQLite store of its KeyPackages' private keys and its groups.
//!
//! The key is kept in a plain file to keep the tool self-contained: this is for trying MLS out
//! and for debugging, not for keys that matter.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cohort::credential::Credential;
use cohort::crypto::{CipherSuite, CryptoProvider, SignaturePrivateKey, SoftwareSigner};
use cohort::storage::sqlite::SqliteStore;
use cohort::{Client, DeliveryPolicy};

/// The file of the identity and cipher suite.
pub(crate) const CONFIG_FILE: &str = "client.json";
/// The file of the signature private key.
pub(crate) const KEY_FILE: &str = "signature.key";
/// The SQLite store.
pub(crate) const STORE_FILE: &str = "client.sqlite";

/// An opened client state.
#[derive(Debug)]
pub(crate) struct State {
    /// The state's directory.
    pub dir: PathBuf,
    /// The client's identity.
    pub identity: String,
    /// The cipher suite of its KeyPackages and the groups it creates.
    pub suite: CipherSuite,
    /// The client, on the state's store.
    pub client: Client,
}

/// What a state is created with, when it does not exist yet.
#[derive(Debug, Default)]
pub(crate) struct NewState {
    /// The identity (required to create a state; checked against an existing one).
    pub identity: Option<String>,
    /// The cipher suite (default 1; checked against an existing state).
    pub suite: Option<CipherSuite>,
}

impl State {
    /// Opens the state in `dir`, which must exist.
    ///
    /// # Errors
    /// A message when there is no state in `dir` or it cannot be read.
    pub(crate) fn open(dir: &Path) -> Result<Self, String> {
        if !dir.join(CONFIG_FILE).exists() {
            return Err(format!(
                "no client state in {} (`cohort keypackage --state DIR --name NAME` creates one)",
                dir.display()
            ));
        }
        Self::open_or_create(dir, &NewState::default())
    }

    /// Opens the state in `dir`, creating it from `new` when `dir` holds none.
    ///
    /// # Errors
    /// A message when `new` lacks the identity for a new state or disagrees with an existing
    /// one, or when a file cannot be read or written.
    pub(crate) fn open_or_create(dir: &Path, new: &NewState) -> Result<Self, String> {
        let provider: Arc<dyn CryptoProvider> = Arc::new(cohort::crypto::aws_lc::provider());
        let config = dir.join(CONFIG_FILE);
        let key_file = dir.join(KEY_FILE);
        let (identity, suite, signer) = if config.exists() {
            let (identity, suite) = read_config(&config)?;
            if let Some(given) = &new.identity {
                if *given != identity {
                    return Err(format!(
                        "the client in {} is {identity:?}, not {given:?}",
                        dir.display()
                    ));
                }
            }
            if let Some(given) = new.suite {
                if given != suite {
                    return Err(format!(
                        "the client in {} uses cipher suite {}, not {}",
                        dir.display(),
                        suite.0,
                        given.0
                    ));
                }
            }
            let ops = suite_ops(&provider, suite)?;
            let bytes = std::fs::read(&key_file)
                .map_err(|e| format!("cannot read {}: {e}", key_file.display()))?;
            let signer = SoftwareSigner::from_private(ops, SignaturePrivateKey::new(bytes))
                .map_err(|e| format!("{}: not a signature key: {e}", key_file.display()))?;
            (identity, suite, signer)
        } else {
            let identity = new.identity.clone().ok_or_else(|| {
                format!(
                    "no client state in {}: give --name to create one",
                    dir.display()
                )
            })?;
            if identity.is_empty() {
                return Err("--name: the identity is empty".into());
            }
            let suite = new
                .suite
                .unwrap_or(CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519);
            let ops = suite_ops(&provider, suite)?;
            if key_file.exists() {
                return Err(format!(
                    "{} exists without {}: not a client state, or a damaged one",
                    key_file.display(),
                    CONFIG_FILE
                ));
            }
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            let signer = SoftwareSigner::generate(ops)
                .map_err(|e| format!("cannot generate a signature key: {e}"))?;
            write_new(&key_file, signer.private_key().as_bytes(), true)?;
            let json = serde_json::json!({ "identity": identity, "cipher_suite": suite.0 });
            write_new(&config, format!("{json}\n").as_bytes(), false)?;
            (identity, suite, signer)
        };
        let store_file = dir.join(STORE_FILE);
        let store = SqliteStore::open(&store_file)
            .map_err(|e| format!("cannot open {}: {e}", store_file.display()))?;
        let client = Client::builder(provider)
            .signer(Arc::new(signer))
            .credential(Credential::basic(identity.as_bytes().to_vec()))
            .cipher_suite(suite)
            // A message of a later epoch would be held in memory only, and lost when the command
            // ends: refuse it instead, so that the user processes the commits before it first.
            .delivery_policy(DeliveryPolicy::default().max_buffered(0))
            .build(Arc::new(store))
            .map_err(|e| format!("cannot start the client: {e}"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            identity,
            suite,
            client,
        })
    }
}

/// The operations of `suite`, or a message naming the suites there are.
fn suite_ops(
    provider: &Arc<dyn CryptoProvider>,
    suite: CipherSuite,
) -> Result<Arc<dyn cohort::crypto::SuiteOps>, String> {
    provider.suite(suite).ok_or_else(|| {
        let known: Vec<String> = provider
            .cipher_suites()
            .iter()
            .map(|s| s.0.to_string())
            .collect();
        format!(
            "cipher suite {} is not supported (supported: {})",
            suite.0,
            known.join(", ")
        )
    })
}

/// Reads `client.json`.
fn read_config(path: &Path) -> Result<(String, CipherSuite), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bad = |what: &str| format!("{}: {what}", path.display());
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not JSON: {e}")))?;
    let identity = value
        .get("identity")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| bad("no \"identity\" string"))?
        .to_string();
    let suite = value
        .get("cipher_suite")
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| u16::try_from(n).ok())
        .ok_or_else(|| bad("no \"cipher_suite\" number"))?;
    Ok((identity, CipherSuite(suite)))
}

/// Writes a file that must not exist yet; `private` makes it readable by the owner only (Unix).
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes `bytes` to `path`, replacing what is there.
///
/// # Errors
/// A message naming the file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

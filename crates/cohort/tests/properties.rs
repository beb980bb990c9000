//! The security properties MLS promises (RFC 9420 §16), as tests that take the attacker's side
//! (issue 9). There is one module per property, and every test runs on every crypto backend
//! (RustCrypto, ring, aws-lc-rs) with cipher suite 1. Each module's doc comment states the
//! property, the attacker model, and how to switch the protection off in a scratch build to
//! see its tests fail.

/// Generates, for each named test function `fn name(b: &Backend)`, a module `name` with one
/// `#[test]` per backend: `name::rustcrypto`, `name::ring` and `name::aws_lc`. Attributes
/// written before a name (`#[ignore = "..."]`) go on each of its tests.
macro_rules! on_every_backend {
    ($($(#[$attr:meta])* $name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                $(#[$attr])*
                fn rustcrypto() {
                    super::$name(&crate::support::Backend::rustcrypto());
                }

                #[test]
                $(#[$attr])*
                fn ring() {
                    super::$name(&crate::support::Backend::ring());
                }

                #[test]
                $(#[$attr])*
                fn aws_lc() {
                    super::$name(&crate::support::Backend::aws_lc());
                }
            }
        )*
    };
}

#[path = "properties/support.rs"]
mod support;

#[path = "properties/asynchrony.rs"]
mod asynchrony;
#[path = "properties/confidentiality.rs"]
mod confidentiality;
#[path = "properties/forward_secrecy.rs"]
mod forward_secrecy;
#[path = "properties/integrity.rs"]
mod integrity;
#[path = "properties/membership.rs"]
mod membership;
#[path = "properties/post_compromise.rs"]
mod post_compromise;
#[path = "properties/scalability.rs"]
mod scalability;

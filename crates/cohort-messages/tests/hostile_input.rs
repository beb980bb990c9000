//! Every entry of the official `messages.json`, truncated at every length and with bits flipped,
//! fed to its decoder: the decoders must return typed errors, never panic, and never accept
//! something that does not re-encode to its input.

#![allow(clippy::expect_used, reason = "a test fails loudly on broken fixtures")]

use cohort_messages::internal::fuzzing::{Target, decode_and_reencode};
use cohort_test_vectors::messages::Messages;

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn cases() -> Vec<Messages> {
    cohort_test_vectors::load(cohort_test_vectors::messages::STEM).expect("messages.json loads")
}

/// V-2.1-04 (truncated fields) and V-2.1.2-03 (lengths beyond the input): MLS encodings are
/// prefix-free, so no strict prefix of a valid encoding may decode.
#[test]
fn v_2_1_04_every_truncation_is_rejected() {
    let mut checked = 0usize;
    for (i, case) in cases().iter().enumerate() {
        for (field, bytes) in case.fields() {
            let target = Target::for_messages_field(field).expect("every field has a target");
            for len in 0..bytes.len() {
                let result = decode_and_reencode(target, &bytes[..len]);
                assert!(
                    result.is_err(),
                    "case {i} {field}: prefix of {len} bytes decoded"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "only {checked} truncations checked");
}

/// Flipped bits either fail with a typed error or decode to something that re-encodes to the
/// flipped bytes exactly (the codec is canonical, so nothing is silently normalized).
#[test]
fn flipped_bits_give_errors_or_exact_round_trips() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut rejected, mut accepted) = (0usize, 0usize);
    for (i, case) in cases().iter().enumerate() {
        for (field, bytes) in case.fields() {
            let target = Target::for_messages_field(field).expect("every field has a target");
            for _ in 0..16 {
                let mut mutated = bytes.to_vec();
                let pos = (rng.next() % mutated.len() as u64) as usize;
                mutated[pos] ^= 1 << (rng.next() % 8);
                match decode_and_reencode(target, &mutated) {
                    Ok(again) => {
                        assert_eq!(again, mutated, "case {i} {field}: flip at {pos} normalized");
                        accepted += 1;
                    }
                    Err(_) => rejected += 1,
                }
            }
        }
    }
    // Both outcomes occur: flips in opaque bytes survive, flips in headers do not.
    assert!(
        rejected > 1000 && accepted > 1000,
        "rejected {rejected}, accepted {accepted}"
    );
}

/// Random bytes of every target: no panic, and anything accepted round-trips exactly.
#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift(0x0123_4567_89ab_cdef);
    for target in Target::ALL {
        for n in 0..2000usize {
            let len = n % 300;
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Ok(again) = decode_and_reencode(target, &bytes) {
                assert_eq!(again, bytes, "{target:?}");
            }
        }
    }
}

/// V-17.2-01 (and V-6-02 at the decoder): an `MLSMessage` whose `wire_format` is the reserved
/// 0x0000, an unassigned value, a private-use value (0xf000..) or GREASE is rejected as an
/// unknown enum value; the same bytes with each defined wire format's own value still decode.
#[test]
fn v_17_2_01_reserved_and_unassigned_wire_formats_are_rejected() {
    use cohort_codec::{CodecError, Decode};
    use cohort_messages::MlsMessage;

    let case = &cases()[0];
    for valid in [
        &case.mls_welcome,
        &case.mls_group_info,
        &case.mls_key_package,
    ] {
        let message = MlsMessage::from_bytes(valid).expect("the vector decodes");
        assert_eq!(
            u16::from_be_bytes([valid[2], valid[3]]),
            message.wire_format().0
        );
        for wire_format in [0x0000u16, 0x0006, 0x0a0a, 0xf000, 0xffff] {
            let mut bytes = valid.to_vec();
            bytes[2..4].copy_from_slice(&wire_format.to_be_bytes());
            let err = MlsMessage::from_bytes(&bytes).expect_err("unknown wire format");
            assert!(
                matches!(err, CodecError::UnknownEnum { value, .. } if value == u64::from(wire_format)),
                "{wire_format:#06x}: {err}"
            );
        }
    }
}

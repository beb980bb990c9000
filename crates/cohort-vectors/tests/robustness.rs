//! The codec's varint decoder fed corrupted deserialization.json headers returns typed errors and
//! never panics. (The same for every messages.json struct lives in cohort-messages'
//! `tests/hostile_input.rs`.)

use cohort_codec::{CodecError, decode_varint, encode_varint};
use cohort_test_vectors::LoadError;
use cohort_test_vectors::deserialization::{self, Deserialization};

/// Every deserialization.json header cut short at every length is a `Truncated` error.
#[test]
fn truncated_varint_headers_are_errors() -> Result<(), LoadError> {
    let cases: Vec<Deserialization> = cohort_test_vectors::load(deserialization::STEM)?;
    for (index, case) in cases.iter().enumerate() {
        let header = case.vlbytes_header.as_slice();
        for cut in (0..header.len()).map(|len| &header[..len]) {
            let result = decode_varint(cut);
            assert!(
                matches!(result, Err(CodecError::Truncated { .. })),
                "case {index}: header cut to {cut:02x?} gave {result:?}"
            );
        }
    }
    Ok(())
}

/// Every one-bit change of every header either is rejected or decodes to a value whose minimal
/// encoding is exactly the bytes consumed.
#[test]
fn bit_flipped_varint_headers_decode_consistently() -> Result<(), LoadError> {
    let cases: Vec<Deserialization> = cohort_test_vectors::load(deserialization::STEM)?;
    for (index, case) in cases.iter().enumerate() {
        for bit in 0..case.vlbytes_header.len() * 8 {
            let mut header = case.vlbytes_header.to_vec();
            header[bit / 8] ^= 0x80 >> (bit % 8);
            if let Ok((value, used)) = decode_varint(&header) {
                let mut encoded = Vec::new();
                let result = encode_varint(value as usize, &mut encoded);
                assert!(
                    result.is_ok(),
                    "case {index} bit {bit}: {value} does not re-encode"
                );
                assert_eq!(encoded, header[..used], "case {index} bit {bit}");
            }
        }
    }
    Ok(())
}

//! `deserialization`: variable-length vector headers decode to their length, consume the whole
//! header, and re-encode to the same bytes (RFC 9420 §2.1.2).

use cohort_test_vectors::deserialization::Deserialization;

use crate::run::Cases;

pub(crate) fn run(cases: &[Deserialization], run: &mut Cases) {
    for (index, case) in cases.iter().enumerate() {
        match check(case) {
            Ok(()) => run.pass(),
            Err(what) => run.fail(index, None, what),
        }
    }
}

fn check(case: &Deserialization) -> Result<(), String> {
    let header = case.vlbytes_header.as_slice();
    let (value, used) = cohort_codec::decode_varint(header)
        .map_err(|err| format!("header {header:02x?} does not decode: {err}"))?;
    if value != case.length {
        return Err(format!(
            "header {header:02x?} decodes to {value}, expected {}",
            case.length
        ));
    }
    if used != header.len() {
        return Err(format!(
            "header {header:02x?} decodes with {used} of {} bytes",
            header.len()
        ));
    }
    let mut encoded = Vec::new();
    // u32 to usize is lossless on the 32- and 64-bit targets cohort supports.
    cohort_codec::encode_varint(case.length as usize, &mut encoded)
        .map_err(|err| format!("length {} does not encode: {err}", case.length))?;
    if encoded != header {
        return Err(format!(
            "length {} encodes to {encoded:02x?}, expected {header:02x?}",
            case.length
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use cohort_test_vectors::HexBytes;

    use super::*;

    fn case(header: &[u8], length: u32) -> Deserialization {
        Deserialization {
            vlbytes_header: HexBytes(header.to_vec()),
            length,
        }
    }

    #[test]
    fn a_correct_case_passes() {
        assert_eq!(check(&case(&[0x40, 0x40], 64)), Ok(()));
    }

    #[test]
    fn wrong_cases_fail() {
        // Wrong value, bytes left over, and a non-minimal encoding.
        assert!(check(&case(&[0x40, 0x40], 65)).is_err());
        assert!(check(&case(&[0x05, 0x00], 5)).is_err());
        assert!(check(&case(&[0x40, 0x05], 5)).is_err());
    }
}

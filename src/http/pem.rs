//! Extra root certificates given as PEM: parsed once here, handed to either mode's TLS
//! set-up as DER.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};

/// One root certificate (DER), trusted in addition to the built-in roots.
#[derive(Clone, PartialEq, Eq)]
pub struct RootCertificate(Arc<[u8]>);

impl RootCertificate {
    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for RootCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootCertificate({} bytes of DER)", self.0.len())
    }
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

/// Every `CERTIFICATE` block of a PEM text (other blocks, such as keys, are skipped).
/// `InvalidInput` when there is none, a block is not closed, or its base64 is broken;
/// whether each certificate is well formed is checked when a client is built.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<RootCertificate>> {
    let text = std::str::from_utf8(pem)
        .map_err(|_| Error::invalid("root certificates: the PEM text is not UTF-8"))?;
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body = &rest[start + BEGIN.len()..];
        let end = body.find(END).ok_or_else(|| {
            Error::invalid(format!(
                "root certificates: certificate {} has no {END} line",
                found.len() + 1
            ))
        })?;
        found.push(decode_block(&body[..end], found.len() + 1)?);
        rest = &body[end + END.len()..];
    }
    if found.is_empty() {
        return Err(Error::invalid(format!(
            "root certificates: no {BEGIN} block in the PEM text"
        )));
    }
    Ok(found)
}

fn decode_block(block: &str, n: usize) -> Result<RootCertificate> {
    use base64::Engine;
    let joined: String = block.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(joined)
        .map_err(|e| Error::invalid(format!("root certificates: certificate {n}: {e}")))?;
    // A DER certificate is a SEQUENCE.
    if der.first() != Some(&0x30) {
        return Err(Error::invalid(format!(
            "root certificates: certificate {n} is not DER (no SEQUENCE)"
        )));
    }
    Ok(RootCertificate(der.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn certificate_blocks_are_found_among_others() {
        let pem = "junk\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n\
                   -----BEGIN CERTIFICATE-----\nMAEC\nAw==\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\r\nMAA=\r\n-----END CERTIFICATE-----\r\n";
        let certs = certificates_from_pem(pem.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].der(), [0x30, 0x01, 0x02, 0x03]);
        assert_eq!(format!("{:?}", certs[1]), "RootCertificate(2 bytes of DER)");
    }

    #[test]
    fn broken_pem_is_invalid_input() {
        for bad in [
            &b""[..],
            b"no blocks",
            b"-----BEGIN CERTIFICATE-----\nMAA=\n",
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
            b"\xff\xfe",
        ] {
            let e = certificates_from_pem(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("root certificates"), "{e}");
        }
    }
}

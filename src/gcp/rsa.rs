//! RSA PKCS#1 v1.5 SHA-256 signatures with a service account's private key, through ring:
//! what both the JWT assertion (`RS256`) and V4 signed URLs (`GOOG4-RSA-SHA256`) need.

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

use crate::error::{Error, ErrorKind, Result};

/// A service account's RSA private key, ready to sign. Cloning shares the key; `Debug`
/// shows only its size.
///
/// ```
/// use multicloud::gcp::rsa::RsaSigner;
///
/// // A PEM without a key block is refused, and the error never quotes the text.
/// let e = RsaSigner::from_pem("-----BEGIN CERTIFICATE-----").unwrap_err();
/// assert_eq!(e.kind(), multicloud::ErrorKind::InvalidInput);
/// ```
#[derive(Clone)]
pub struct RsaSigner(Arc<RsaKeyPair>);

/// The two PEM blocks a key may come in.
#[derive(Clone, Copy)]
enum Format {
    /// `PRIVATE KEY`: PKCS#8, what service-account key files hold.
    Pkcs8,
    /// `RSA PRIVATE KEY`: PKCS#1, what `openssl genrsa` used to write.
    Pkcs1,
}

const BLOCKS: [(&str, Format); 2] = [
    ("PRIVATE KEY", Format::Pkcs8),
    ("RSA PRIVATE KEY", Format::Pkcs1),
];

impl RsaSigner {
    /// The key of a PEM text holding a `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1)
    /// block of at least 2048 bits. `InvalidInput` naming what is wrong (no block, broken
    /// base64, a key ring refuses), never quoting the text.
    ///
    /// ```
    /// # use multicloud::gcp::rsa::RsaSigner;
    /// let broken = "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n";
    /// let e = RsaSigner::from_pem(broken).unwrap_err();
    /// assert!(e.to_string().contains("base64"), "{e}");
    /// assert!(!e.to_string().contains("!!!"));
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (format, mut der) = pem_block(pem)?;
        let parsed = match format {
            Format::Pkcs8 => RsaKeyPair::from_pkcs8(&der),
            Format::Pkcs1 => RsaKeyPair::from_der(&der),
        };
        wipe(&mut der);
        // ring's reasons are fixed words (`InvalidEncoding`, `TooSmall`...), never key bytes.
        let pair = parsed
            .map_err(|e| Error::invalid(format!("private key: not a usable RSA key ({e})")))?;
        Ok(RsaSigner(Arc::new(pair)))
    }

    /// The RSA PKCS#1 v1.5 signature of `message` over its SHA-256, as many bytes as the
    /// modulus. Fails (`Io`, a fixed message) only when the system's random source, which
    /// blinds the private-key operation, fails.
    ///
    /// ```no_run
    /// # use multicloud::gcp::rsa::RsaSigner;
    /// # let signer = RsaSigner::from_pem(&std::fs::read_to_string("key.pem")?)?;
    /// let signature = signer.sign(b"GOOG4-RSA-SHA256\n...")?;
    /// assert_eq!(signature.len(), signer.modulus_len());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0; self.modulus_len()];
        let rng = SystemRandom::new();
        self.0
            .sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
            .map_err(|_| Error::new(ErrorKind::Io, "RSA signing failed (system random source)"))?;
        Ok(signature)
    }

    /// The modulus length in bytes (256 for a 2048-bit key): every signature's length.
    ///
    /// ```no_run
    /// # use multicloud::gcp::rsa::RsaSigner;
    /// # let signer = RsaSigner::from_pem(&std::fs::read_to_string("key.pem")?)?;
    /// assert!(signer.modulus_len() >= 256);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn modulus_len(&self) -> usize {
        self.0.public().modulus_len()
    }

    /// The public key as a DER `RSAPublicKey`, what ring's
    /// `RSA_PKCS1_2048_8192_SHA256` verifier takes (tests verify our signatures with it).
    ///
    /// ```no_run
    /// # use multicloud::gcp::rsa::RsaSigner;
    /// # let signer = RsaSigner::from_pem(&std::fs::read_to_string("key.pem")?)?;
    /// let der = signer.public_key_der();
    /// assert_eq!(der[0], 0x30); // a DER SEQUENCE
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn public_key_der(&self) -> &[u8] {
        self.0.public().as_ref()
    }
}

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RsaSigner({} bits, private key hidden)",
            self.modulus_len() * 8
        )
    }
}

/// The first key block of a PEM text, decoded.
fn pem_block(pem: &str) -> Result<(Format, Vec<u8>)> {
    for (label, format) in BLOCKS {
        let begin = format!("-----BEGIN {label}-----");
        let Some(start) = pem.find(&begin) else {
            continue;
        };
        let body = &pem[start + begin.len()..];
        let end = format!("-----END {label}-----");
        let Some(stop) = body.find(&end) else {
            return Err(Error::invalid(format!("private key: no {end} line")));
        };
        return Ok((format, decode_base64(&body[..stop])?));
    }
    Err(Error::invalid(
        "private key: no -----BEGIN PRIVATE KEY----- block (an encrypted key is not supported)",
    ))
}

fn decode_base64(block: &str) -> Result<Vec<u8>> {
    let joined: String = block.split_whitespace().collect();
    // base64's own message quotes the offending byte: a byte of the key. Say less.
    base64::engine::general_purpose::STANDARD
        .decode(joined)
        .map_err(|_| Error::invalid("private key: the PEM block is not valid base64"))
}

/// Overwrites key material before it is freed (best effort: ring keeps its own copy).
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    use crate::gcp::TEST_KEY_FILE;

    fn test_key_pem() -> String {
        let doc: serde_json::Value = serde_json::from_str(TEST_KEY_FILE).unwrap();
        doc["private_key"].as_str().unwrap().to_owned()
    }

    #[test]
    fn signatures_verify_with_the_public_key() {
        let signer = RsaSigner::from_pem(&test_key_pem()).unwrap();
        let sig = signer.sign(b"message").unwrap();
        assert_eq!(sig.len(), 256);
        let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, signer.public_key_der());
        assert!(public.verify(b"message", &sig).is_ok());
        assert!(public.verify(b"other", &sig).is_err());
        // PKCS#1 v1.5 is deterministic: the same message, the same signature.
        assert_eq!(signer.sign(b"message").unwrap(), sig);
    }

    #[test]
    fn debug_shows_the_size_only() {
        let pem = test_key_pem();
        let signer = RsaSigner::from_pem(&pem).unwrap();
        let shown = format!("{signer:?}");
        assert_eq!(shown, "RsaSigner(2048 bits, private key hidden)");
    }

    #[test]
    fn broken_keys_are_invalid_input_and_never_quoted() {
        let pem = test_key_pem();
        let body_line = pem.lines().nth(3).unwrap().to_owned();
        let truncated = pem.replacen(&body_line, "", 1);
        let cases = [
            String::new(),
            pem.replace("-----END PRIVATE KEY-----", ""),
            pem.replacen(&body_line, &format!("!{}", &body_line[1..]), 1),
            truncated,
            pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
            pem.replace("PRIVATE KEY", "RSA PRIVATE KEY"),
        ];
        for (i, bad) in cases.iter().enumerate() {
            let e = RsaSigner::from_pem(bad).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "case {i}: {shown}");
            assert!(shown.contains("private key"), "case {i}: {shown}");
            assert!(!shown.contains(&body_line[4..24]), "case {i}: {shown}");
        }
    }
}

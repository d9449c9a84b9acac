//! Service shared access signatures (SAS) for one blob, signed with the account key, in
//! the layout Microsoft's "Create a service SAS" gives for signed version 2020-12-06 and
//! later (which [`SIGNED_VERSION`] is).
//!
//! Pure: start and expiry are inputs; nothing reads a clock.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::azure_sharedkey::{AccountKey, check_account};
use crate::error::{Error, Result};

/// The signed version (`sv`) every SAS here carries. Its string to sign is the 16-line
/// layout of "Version 2020-12-06 and later"; it also sets the service version of the
/// requests made with the SAS.
///
/// ```
/// assert_eq!(multicloud::signing::azure_sas::SIGNED_VERSION, "2022-11-02");
/// ```
pub const SIGNED_VERSION: &str = "2022-11-02";

/// Query values are encoded strictly (only `A-Z a-z 0-9 - _ . ~` stay), so `:` in times
/// and `+ / =` in the signature travel intact.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// What a blob SAS allows (`sp`), written in the documented order `racwd`.
///
/// ```
/// use multicloud::signing::azure_sas::BlobPermissions;
/// assert_eq!(BlobPermissions::READ.letters(), "r");
/// assert_eq!(BlobPermissions::WRITE.letters(), "cw");
/// let all = BlobPermissions { read: true, add: true, create: true, write: true, delete: true };
/// assert_eq!(all.letters(), "racwd");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlobPermissions {
    /// `r`: read content, properties, metadata; be a copy source.
    pub read: bool,
    /// `a`: add a block to an append blob.
    pub add: bool,
    /// `c`: write a new blob (not replace one).
    pub create: bool,
    /// `w`: write content, properties, metadata; replace the blob.
    pub write: bool,
    /// `d`: delete the blob.
    pub delete: bool,
}

impl BlobPermissions {
    /// Nothing (a SAS with no permission is refused when signed).
    ///
    /// ```
    /// assert_eq!(multicloud::signing::azure_sas::BlobPermissions::NONE.letters(), "");
    /// ```
    pub const NONE: Self = BlobPermissions {
        read: false,
        add: false,
        create: false,
        write: false,
        delete: false,
    };

    /// Download: `sp=r`.
    ///
    /// ```
    /// assert!(multicloud::signing::azure_sas::BlobPermissions::READ.read);
    /// ```
    pub const READ: Self = BlobPermissions {
        read: true,
        ..Self::NONE
    };

    /// Upload, new or replacing: `sp=cw`.
    ///
    /// ```
    /// assert!(multicloud::signing::azure_sas::BlobPermissions::WRITE.write);
    /// ```
    pub const WRITE: Self = BlobPermissions {
        create: true,
        write: true,
        ..Self::NONE
    };

    /// The `sp` value: the letters granted, in the order the service requires.
    ///
    /// ```
    /// use multicloud::signing::azure_sas::BlobPermissions;
    /// let p = BlobPermissions { delete: true, ..BlobPermissions::READ };
    /// assert_eq!(p.letters(), "rd");
    /// ```
    pub fn letters(self) -> String {
        let granted = [
            (self.read, 'r'),
            (self.add, 'a'),
            (self.create, 'c'),
            (self.write, 'w'),
            (self.delete, 'd'),
        ];
        granted
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| c)
            .collect()
    }
}

/// The protocols a SAS may be used over (`spr`).
///
/// ```
/// use multicloud::signing::azure_sas::SasProtocol;
/// assert_eq!(SasProtocol::default().as_str(), "https");
/// assert_eq!(SasProtocol::HttpsAndHttp.as_str(), "https,http");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SasProtocol {
    /// HTTPS only (the default).
    #[default]
    Https,
    /// HTTPS or HTTP (the emulator speaks HTTP only). HTTP alone is not a permitted value.
    HttpsAndHttp,
}

impl SasProtocol {
    /// The `spr` value.
    ///
    /// ```
    /// assert_eq!(multicloud::signing::azure_sas::SasProtocol::Https.as_str(), "https");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            SasProtocol::Https => "https",
            SasProtocol::HttpsAndHttp => "https,http",
        }
    }
}

/// A SAS to sign for one blob (`sr=b`). Build it with [`BlobSas::new`].
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, SasProtocol};
/// let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let sas = BlobSas::new("c", "k", BlobPermissions::READ, start, start + Duration::from_secs(3600))
///     .protocol(SasProtocol::HttpsAndHttp);
/// assert_eq!(sas.blob, "k");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BlobSas<'a> {
    /// The container.
    pub container: &'a str,
    /// The blob's name, plain (not percent-encoded).
    pub blob: &'a str,
    /// What the SAS allows.
    pub permissions: BlobPermissions,
    /// When it becomes valid (set it a few minutes in the past to allow for clock skew).
    pub start: SystemTime,
    /// When it stops being valid; must be after `start`.
    pub expiry: SystemTime,
    /// The protocols it may be used over.
    pub protocol: SasProtocol,
}

impl<'a> BlobSas<'a> {
    /// A SAS over `container/blob`, HTTPS only.
    ///
    /// ```
    /// use std::time::UNIX_EPOCH;
    /// use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, SasProtocol};
    /// let sas = BlobSas::new("c", "k", BlobPermissions::WRITE, UNIX_EPOCH, UNIX_EPOCH);
    /// assert_eq!(sas.protocol, SasProtocol::Https);
    /// ```
    pub fn new(
        container: &'a str,
        blob: &'a str,
        permissions: BlobPermissions,
        start: SystemTime,
        expiry: SystemTime,
    ) -> Self {
        BlobSas {
            container,
            blob,
            permissions,
            start,
            expiry,
            protocol: SasProtocol::Https,
        }
    }

    /// Sets the protocols the SAS may be used over.
    ///
    /// ```
    /// use std::time::UNIX_EPOCH;
    /// use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, SasProtocol};
    /// let sas = BlobSas::new("c", "k", BlobPermissions::READ, UNIX_EPOCH, UNIX_EPOCH)
    ///     .protocol(SasProtocol::HttpsAndHttp);
    /// assert_eq!(sas.protocol, SasProtocol::HttpsAndHttp);
    /// ```
    pub fn protocol(mut self, protocol: SasProtocol) -> Self {
        self.protocol = protocol;
        self
    }
}

/// A signed SAS: the query string to append to the blob's URL (after `?`), and the string
/// that was signed. `Debug` hides the signature.
///
/// ```
/// # use std::time::{Duration, UNIX_EPOCH};
/// # use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, sign_blob};
/// # use multicloud::signing::azure_sharedkey::AccountKey;
/// # let key = AccountKey::from_base64("YXpLZXk=")?;
/// # let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let signed = sign_blob("acct", &key, &BlobSas::new("c", "k", BlobPermissions::READ, t, t + Duration::from_secs(60)))?;
/// assert!(format!("{signed:?}").contains("sig=***"));
/// # Ok::<(), multicloud::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SignedSas {
    /// The 16 lines that were signed (no secret in them).
    pub string_to_sign: String,
    /// `sv=..&st=..&se=..&sr=b&sp=..&spr=..&sig=..`, every value percent-encoded.
    pub query: String,
}

impl fmt::Debug for SignedSas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedSas")
            .field("string_to_sign", &self.string_to_sign)
            .field("query", &redact_signature(&self.query))
            .finish()
    }
}

/// Signs a service SAS for one blob with the account key.
///
/// `InvalidInput` when the expiry is not after the start, a time is outside 1970–9999, no
/// permission is granted, or a name is empty or holds a newline (which would shift the
/// lines of the string to sign).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use multicloud::signing::azure_sas::{BlobPermissions, BlobSas, sign_blob};
/// use multicloud::signing::azure_sharedkey::AccountKey;
/// let key = AccountKey::from_base64("YXpLZXk=")?;
/// let start = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let sas = BlobSas::new("photos", "2026/a b.jpg", BlobPermissions::READ, start, start + Duration::from_secs(3600));
/// let signed = sign_blob("acct", &key, &sas)?;
/// assert!(signed.query.starts_with("sv=2022-11-02&st=2023-11-14T22%3A13%3A20Z&se=2023-11-14T23%3A13%3A20Z&sr=b&sp=r&spr=https&sig="));
/// assert!(signed.string_to_sign.contains("\n/blob/acct/photos/2026/a b.jpg\n"));
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn sign_blob(account: &str, key: &AccountKey, sas: &BlobSas<'_>) -> Result<SignedSas> {
    check_account(account)?;
    let fields = Fields::of(sas)?;
    let resource = format!("/blob/{account}/{}/{}", sas.container, sas.blob);
    let string_to_sign = fields.string_to_sign(&resource);
    let sig = key.sign(&string_to_sign);
    Ok(SignedSas {
        query: fields.query(&sig),
        string_to_sign,
    })
}

/// The checked values of a SAS's fields.
struct Fields {
    sp: String,
    st: String,
    se: String,
    spr: &'static str,
}

impl Fields {
    fn of(sas: &BlobSas<'_>) -> Result<Self> {
        check_names(sas)?;
        let (st, se) = (sas_time(sas.start)?, sas_time(sas.expiry)?);
        if sas.expiry <= sas.start {
            let msg = format!("SAS expiry {se} is not after its start {st}");
            return Err(Error::invalid(msg));
        }
        let sp = sas.permissions.letters();
        if sp.is_empty() {
            return Err(Error::invalid("a SAS must grant at least one permission"));
        }
        let spr = sas.protocol.as_str();
        Ok(Fields { sp, st, se, spr })
    }

    /// The documented fields in their documented order, one per line, optional ones
    /// empty (their newline kept): 16 lines, the last without a newline.
    fn string_to_sign(&self, resource: &str) -> String {
        [
            &self.sp,       // signedPermissions
            &self.st,       // signedStart
            &self.se,       // signedExpiry
            resource,       // canonicalizedResource
            "",             // signedIdentifier (no stored access policy)
            "",             // signedIP
            self.spr,       // signedProtocol
            SIGNED_VERSION, // signedVersion
            "b",            // signedResource: a blob
            "",             // signedSnapshotTime
            "",             // signedEncryptionScope
            "",             // rscc (Cache-Control override)
            "",             // rscd (Content-Disposition)
            "",             // rsce (Content-Encoding)
            "",             // rscl (Content-Language)
            "",             // rsct (Content-Type)
        ]
        .join("\n")
    }

    /// The query to append, every value percent-encoded.
    fn query(&self, sig: &str) -> String {
        let params = [
            ("sv", SIGNED_VERSION),
            ("st", &self.st),
            ("se", &self.se),
            ("sr", "b"),
            ("sp", &self.sp),
            ("spr", self.spr),
            ("sig", sig),
        ];
        let encoded: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        encoded.join("&")
    }
}

/// Names are signed plain, one per line: a newline in one would forge the next field.
fn check_names(sas: &BlobSas<'_>) -> Result<()> {
    for (what, name) in [("container", sas.container), ("blob", sas.blob)] {
        if name.is_empty() || name.contains('\n') {
            return Err(Error::invalid(format!(
                "SAS {what} name {name:?} must be non-empty and hold no newline"
            )));
        }
    }
    Ok(())
}

/// A SAS time: ISO 8601 UTC to the second, no fraction (`2026-01-02T03:04:05Z`).
/// `InvalidInput` before 1970 or after 9999.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use multicloud::signing::azure_sas::sas_time;
/// let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
/// assert_eq!(sas_time(t)?, "2023-11-14T22:13:20Z");
/// # Ok::<(), multicloud::Error>(())
/// ```
pub fn sas_time(t: SystemTime) -> Result<String> {
    let out_of_range = || Error::invalid("SAS time is outside the years 1970 to 9999");
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_err(|_| out_of_range())?
        .as_secs();
    let dt = i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .filter(|d| d.year() <= 9999)
        .ok_or_else(out_of_range)?;
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    ))
}

/// A SAS query with its `sig` value replaced by `***`, for `Debug` output.
pub(crate) fn redact_signature(query: &str) -> String {
    let parts: Vec<&str> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("sig") => "sig=***",
            _ => p,
        })
        .collect();
    parts.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::time::Duration;

    const START: u64 = 1_700_000_000; // 2023-11-14T22:13:20Z

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn key() -> AccountKey {
        AccountKey::from_base64("YXpLZXk=").unwrap()
    }

    fn read_sas() -> BlobSas<'static> {
        BlobSas::new(
            "photos",
            "2026/a b+€.jpg",
            BlobPermissions::READ,
            at(START),
            at(START + 3600),
        )
    }

    #[test]
    fn string_to_sign_has_the_documented_sixteen_lines_in_order() {
        let signed = sign_blob("acct", &key(), &read_sas()).unwrap();
        let lines: Vec<&str> = signed.string_to_sign.split('\n').collect();
        assert_eq!(
            lines,
            [
                "r",
                "2023-11-14T22:13:20Z",
                "2023-11-14T23:13:20Z",
                "/blob/acct/photos/2026/a b+€.jpg",
                "",
                "",
                "https",
                "2022-11-02",
                "b",
                "",
                "",
                "",
                "",
                "",
                "",
                ""
            ]
        );
        // Seven empty fields follow `b`; the last has no newline of its own.
        assert!(signed.string_to_sign.ends_with("\nb\n\n\n\n\n\n\n"));
        assert_eq!(signed.string_to_sign.matches('\n').count(), 15);
    }

    #[test]
    fn the_query_carries_every_field_encoded_and_the_signature_of_the_string() {
        let signed = sign_blob("acct", &key(), &read_sas()).unwrap();
        let sig = key().sign(&signed.string_to_sign);
        let encoded_sig = utf8_percent_encode(&sig, QUERY_VALUE).to_string();
        assert_eq!(
            signed.query,
            format!(
                "sv=2022-11-02&st=2023-11-14T22%3A13%3A20Z&se=2023-11-14T23%3A13%3A20Z\
                 &sr=b&sp=r&spr=https&sig={encoded_sig}"
            )
        );
        // Decoding the query gives the signature back, whatever base64 characters it has.
        let decoded = percent_encoding::percent_decode_str(&encoded_sig)
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, sig);
        assert!(!encoded_sig.contains(['+', '/', '=']), "{encoded_sig}");
    }

    #[test]
    fn signatures_encode_plus_slash_and_equals() {
        // A fixed input whose signature holds `+` and `/` (checked below), so the
        // encoding is exercised, not assumed.
        let sas = BlobSas::new("c", "k", BlobPermissions::WRITE, at(START), at(START + 60))
            .protocol(SasProtocol::HttpsAndHttp);
        let mut found = None;
        for n in 0..64 {
            let blob = format!("k{n}");
            let signed = sign_blob(
                "acct",
                &key(),
                &BlobSas {
                    blob: &blob,
                    ..sas.clone()
                },
            )
            .unwrap();
            let sig = key().sign(&signed.string_to_sign);
            if sig.contains('+') && sig.contains('/') {
                found = Some((signed, sig));
                break;
            }
        }
        let (signed, sig) = found.expect("one of 64 signatures holds both + and /");
        let tail = signed.query.rsplit("&sig=").next().unwrap();
        assert_eq!(
            tail,
            sig.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        assert!(
            signed.query.contains("&sp=cw&spr=https%2Chttp&"),
            "{}",
            signed.query
        );
        assert!(signed.string_to_sign.starts_with("cw\n"));
    }

    #[test]
    fn times_are_iso8601_utc_whole_seconds() {
        assert_eq!(sas_time(UNIX_EPOCH).unwrap(), "1970-01-01T00:00:00Z");
        let t = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_999_999_999);
        assert_eq!(sas_time(t).unwrap(), "2023-11-14T22:13:20Z");
        assert_eq!(
            sas_time(at(253_402_300_799)).unwrap(),
            "9999-12-31T23:59:59Z"
        );
        assert!(sas_time(at(253_402_300_800)).is_err());
        assert!(sas_time(UNIX_EPOCH - Duration::from_secs(1)).is_err());
    }

    #[test]
    fn expiry_not_after_start_is_invalid_input() {
        for expiry in [START - 1, START] {
            let sas = BlobSas {
                expiry: at(expiry),
                ..read_sas()
            };
            let e = sign_blob("acct", &key(), &sas).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.message().contains("not after its start"), "{e}");
        }
    }

    #[test]
    fn empty_permissions_names_and_accounts_are_invalid_input() {
        let none = BlobSas {
            permissions: BlobPermissions::NONE,
            ..read_sas()
        };
        let newline = BlobSas {
            blob: "a\nb",
            ..read_sas()
        };
        let empty = BlobSas {
            container: "",
            ..read_sas()
        };
        for sas in [none, newline, empty] {
            let e = sign_blob("acct", &key(), &sas).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
        }
        assert!(sign_blob("a/b", &key(), &read_sas()).is_err());
    }

    #[test]
    fn the_signature_never_prints() {
        let signed = sign_blob("acct", &key(), &read_sas()).unwrap();
        let sig = key().sign(&signed.string_to_sign);
        let encoded = utf8_percent_encode(&sig, QUERY_VALUE).to_string();
        let shown = format!("{signed:?} {:?}", read_sas());
        assert!(
            !shown.contains(&sig) && !shown.contains(&encoded),
            "{shown}"
        );
        assert!(
            shown.contains("sig=***") && shown.contains("sp=r"),
            "{shown}"
        );
        assert_eq!(redact_signature("a=1&SIG=x&b"), "a=1&sig=***&b");
    }
}

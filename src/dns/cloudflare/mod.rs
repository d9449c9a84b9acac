//! Cloudflare DNS, pure parts: configuration ([`config`]), the API v4 requests with their
//! bearer token ([`requests`]), and the parsing of its `{success, errors, result,
//! result_info}` answers into the DNS model ([`responses`]). No I/O: the driver's shell
//! sends what [`requests`] builds and hands the answers to [`responses`].
//!
//! Ids: zones and records have 32 lowercase hexadecimal ids; an id of another shape never
//! reaches a URL (it names nothing, so lookups say `NotFound`). Names: Cloudflare names
//! records absolutely (`www.example.com`); the model's relative names are converted both
//! ways with [`crate::dns::names`], and a record named outside its zone is `Parse`.
//!
//! Types: SRV and CAA travel in Cloudflare's `data` object, MX as `content` and
//! `priority`, the others as `content`. SOA and apex NS are Cloudflare's own and never
//! listed; SPF records are not offered (`Unsupported`: SPF lives in TXT). A TTL of 1 is
//! Cloudflare's "automatic" and reads as no TTL. `proxied` and `comment` may be set
//! through a record's extras and come back in them with `proxiable`, `created_on` and
//! `modified_on`.

pub mod config;
pub mod requests;
pub mod responses;

pub use config::{CloudflareConfig, CloudflareConfigBuilder};
pub use requests::{CfRequests, PageAsk};

/// The provider name errors carry.
pub const PROVIDER: &str = "cloudflare";

/// The API's address.
pub const DEFAULT_ENDPOINT: &str = "https://api.cloudflare.com/client/v4";

/// The variable [`CloudflareConfigBuilder::from_env`] reads the token from.
pub const TOKEN_VAR: &str = "CLOUDFLARE_API_TOKEN";

/// The variable [`CloudflareConfigBuilder::from_env`] reads the account id from.
pub const ACCOUNT_VAR: &str = "CLOUDFLARE_ACCOUNT_ID";

/// The largest page of zones the API serves (`per_page`).
pub const MAX_ZONES_PER_PAGE: usize = 50;

/// The largest page of records this driver asks for.
pub const MAX_RECORDS_PER_PAGE: usize = 5000;

/// The smallest page the API serves: a smaller `max` still gets pages of up to 5.
pub const MIN_PER_PAGE: usize = 5;

/// Whether `id` has the shape of a Cloudflare id (32 lowercase hexadecimal digits).
pub fn is_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

//! Sizes, images and regions: builders for the documented objects, and a small default
//! catalog modelled on the reference's examples.

use serde_json::{Value, json};

use super::ImageKind;

const ALL_REGIONS: [&str; 3] = ["nyc3", "ams3", "sfo3"];

/// A size object (`slug`, `memory` MiB, `vcpus`, `disk` GiB, `transfer` TiB, prices,
/// `regions`, `available`, `description`, `disk_info`). Hourly price: monthly / 672 hours.
pub fn size(slug: &str, memory: u64, vcpus: u64, disk: u64, price_monthly: f64) -> Value {
    json!({
        "slug": slug,
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "transfer": (memory as f64 / 1024.0).max(0.5),
        "price_monthly": price_monthly,
        "price_hourly": price_monthly / 672.0,
        "regions": ALL_REGIONS,
        "available": true,
        "description": "Basic",
        "disk_info": [{ "type": "local", "size": { "amount": disk, "unit": "gib" } }],
    })
}

/// An image object; `slug` is null for the account's own images, as in the reference.
pub fn image(id: u64, name: &str, distribution: &str, slug: Option<&str>, public: bool) -> Value {
    json!({
        "id": id,
        "name": name,
        "distribution": distribution,
        "slug": slug,
        "public": public,
        "regions": ALL_REGIONS,
        "created_at": "2020-05-15T05:47:50Z",
        "type": "snapshot",
        "min_disk_size": 20,
        "size_gigabytes": 2.36,
        "description": "",
        "tags": [],
        "status": "available",
        "error_message": "",
    })
}

/// A region object offering every default size.
pub fn region(slug: &str, name: &str, available: bool) -> Value {
    let sizes: Vec<Value> = default_sizes()
        .into_iter()
        .map(|s| s["slug"].clone())
        .collect();
    json!({
        "name": name,
        "slug": slug,
        "features": ["private_networking", "backups", "ipv6", "metadata", "install_agent",
                     "storage", "image_transfer"],
        "available": available,
        "sizes": sizes,
    })
}

pub(super) fn default_sizes() -> Vec<Value> {
    vec![
        size("s-1vcpu-512mb-10gb", 512, 1, 10, 4.0),
        size("s-1vcpu-1gb", 1024, 1, 25, 6.0),
        size("s-2vcpu-2gb", 2048, 2, 60, 18.0),
        size("s-4vcpu-8gb", 8192, 4, 160, 48.0),
    ]
}

pub(super) fn default_images() -> Vec<(ImageKind, Value)> {
    use ImageKind::*;
    vec![
        (
            Distribution,
            image(
                63663980,
                "20.04 (LTS) x64",
                "Ubuntu",
                Some("ubuntu-20-04-x64"),
                true,
            ),
        ),
        (
            Distribution,
            image(106433672, "12 x64", "Debian", Some("debian-12-x64"), true),
        ),
        (
            Application,
            image(
                113415431,
                "Docker on Ubuntu 22.04",
                "Ubuntu",
                Some("docker-20-04"),
                true,
            ),
        ),
        (
            User,
            image(7555620, "Nifty New Snapshot", "Ubuntu", None, false),
        ),
    ]
}

pub(super) fn default_regions() -> Vec<Value> {
    vec![
        region("nyc3", "New York 3", true),
        region("ams3", "Amsterdam 3", true),
        region("sfo3", "San Francisco 3", true),
        region("nyc2", "New York 2", false),
    ]
}

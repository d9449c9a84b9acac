//! SSH keys (`/v2/account/keys`), volumes, volume actions and volume snapshots.

use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::droplets::new_action;
use super::server::Request;
use super::state::{
    Effect, NoPages, Query, Reply, State, error, iso8601, not_found, now, page, unprocessable,
};

pub(super) fn route(st: &mut State, m: &str, segs: &[&str], q: &Query, req: &Request) -> Reply {
    let body = || req.json();
    let path = req.path.as_str();
    match (segs, m) {
        (["account", "keys"], "GET") => {
            let all = st.keys.values().cloned().collect();
            page(st, path, q, "ssh_keys", all, NoPages::Empty)
        }
        (["account", "keys"], "POST") => body().map_or_else(|e| e, |b| create_key(st, &b)),
        (["account", "keys", k], "GET") => match find_key(st, k) {
            Some(id) => Reply::json(200, json!({ "ssh_key": st.keys[&id] })),
            None => not_found(),
        },
        (["account", "keys", k], "DELETE") => match find_key(st, k) {
            Some(id) => {
                st.keys.remove(&id);
                Reply::no_content()
            }
            None => not_found(),
        },
        (["volumes"], "GET") => {
            let all = st
                .volumes
                .values()
                .filter(|v| volume_matches(v, q))
                .cloned()
                .collect();
            page(st, path, q, "volumes", all, NoPages::Empty)
        }
        (["volumes"], "POST") => body().map_or_else(|e| e, |b| create_volume(st, &b)),
        (["volumes", v], "GET") => match st.volumes.get(*v) {
            Some(vol) => Reply::json(200, json!({ "volume": vol })),
            None => not_found(),
        },
        (["volumes", v], "DELETE") => delete_volume(st, v),
        (["volumes", v, "actions"], "POST") => {
            body().map_or_else(|e| e, |b| volume_action(st, v, &b))
        }
        (["volumes", v, "snapshots"], "POST") => body().map_or_else(|e| e, |b| snapshot(st, v, &b)),
        (["volumes", v, "snapshots"], "GET") if st.volumes.contains_key(*v) => {
            let mine = st
                .snapshots
                .values()
                .filter(|s| s["resource_id"] == *v)
                .cloned()
                .collect();
            page(st, path, q, "snapshots", mine, NoPages::Empty)
        }
        (["snapshots"], "GET") => {
            let kind = q.get("resource_type");
            let all = st
                .snapshots
                .values()
                .filter(|s| kind.is_none_or(|k| s["resource_type"] == k))
                .cloned()
                .collect();
            page(st, path, q, "snapshots", all, NoPages::Empty)
        }
        (["snapshots", s], "GET") => match st.snapshots.get(*s) {
            Some(snap) => Reply::json(200, json!({ "snapshot": snap })),
            None => not_found(),
        },
        (["snapshots", s], "DELETE") => match st.snapshots.remove(*s) {
            Some(_) => Reply::no_content(),
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// `DELETE /v2/volumes/{id}`: 204; an attached volume is refused with 409, as the API
/// answers it (its message, seen in the wild; the reference lists no 409 here).
fn delete_volume(st: &mut State, vid: &str) -> Reply {
    let Some(vol) = st.volumes.get(vid) else {
        return not_found();
    };
    if vol["droplet_ids"].as_array().is_some_and(|a| !a.is_empty()) {
        return error(
            409,
            "conflict",
            "A volume that's attached to a Droplet cannot be deleted. Please detach it first \
             before deleting.",
        );
    }
    st.volumes.remove(vid);
    Reply::no_content()
}

/// A key by numeric id or by fingerprint, as the reference allows both.
fn find_key(st: &State, k: &str) -> Option<u64> {
    let by_id = k.parse::<u64>().ok().filter(|id| st.keys.contains_key(id));
    by_id.or_else(|| {
        st.keys
            .iter()
            .find(|(_, v)| v["fingerprint"] == k)
            .map(|(id, _)| *id)
    })
}

/// `POST /v2/account/keys` with `name` and `public_key` (`type base64 [comment]`): 201.
fn create_key(st: &mut State, body: &Value) -> Reply {
    let (Some(name), Some(key)) = (body["name"].as_str(), body["public_key"].as_str()) else {
        return unprocessable("name and public_key are required");
    };
    let Some(fingerprint) = fingerprint(key) else {
        return unprocessable("Key invalid, key should be of the form `type key [comment]`");
    };
    if st.keys.values().any(|k| k["fingerprint"] == fingerprint) {
        return unprocessable("SSH Key is already in use on your account");
    }
    let id = st.id();
    let json = json!({ "id": id, "fingerprint": fingerprint, "public_key": key, "name": name });
    st.keys.insert(id, json.clone());
    Reply::json(201, json!({ "ssh_key": json }))
}

/// Sixteen colon-separated hex bytes, the shape of the real (MD5) fingerprint; the fake
/// derives them from SHA-256 of the key blob, so clients must treat them as opaque.
fn fingerprint(public_key: &str) -> Option<String> {
    let mut parts = public_key.split_whitespace();
    let (kind, blob) = (parts.next()?, parts.next()?);
    if !kind.starts_with("ssh-") && !kind.starts_with("ecdsa-") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .ok()?;
    let digest = Sha256::digest(&raw);
    let hex: Vec<String> = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Some(hex.join(":"))
}

fn volume_matches(v: &Value, q: &Query) -> bool {
    q.get("name").is_none_or(|n| v["name"] == n)
        && q.get("region").is_none_or(|r| v["region"]["slug"] == r)
}

/// `POST /v2/volumes`: `name`, `size_gigabytes` and `region` required; 201.
fn create_volume(st: &mut State, body: &Value) -> Reply {
    let name = body["name"].as_str().filter(|n| valid_volume_name(n));
    let Some(name) = name else {
        return unprocessable(
            "name must be lowercase letters, digits and dashes, starting with a letter",
        );
    };
    let Some(size) = body["size_gigabytes"]
        .as_u64()
        .filter(|s| (1..=16 * 1024).contains(s))
    else {
        return unprocessable("size_gigabytes must be between 1 and 16384");
    };
    let region = body["region"]
        .as_str()
        .and_then(|r| st.region(r))
        .filter(|r| r["available"] == true);
    let Some(region) = region.cloned() else {
        return unprocessable("region must be an available region slug");
    };
    if st
        .volumes
        .values()
        .any(|v| v["name"] == name && v["region"]["slug"] == region["slug"])
    {
        return unprocessable("a volume with that name already exists in this region");
    }
    let id = st.uuid();
    let json = json!({
        "id": id, "name": name, "description": body["description"].as_str().unwrap_or(""),
        "size_gigabytes": size, "created_at": iso8601(now()), "droplet_ids": [],
        "region": region, "filesystem_type": body["filesystem_type"].as_str().unwrap_or(""),
        "filesystem_label": body["filesystem_label"].as_str().unwrap_or(""),
        "tags": if body["tags"].is_array() { body["tags"].clone() } else { json!([]) },
    });
    st.volumes.insert(id, json.clone());
    Reply::json(201, json!({ "volume": json }))
}

fn valid_volume_name(n: &str) -> bool {
    let ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    (1..=64).contains(&n.len())
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars().all(ok)
}

/// `POST /v2/volumes/{id}/actions` with `type` attach or detach and `droplet_id`: 202 with
/// an `attach_volume`/`detach_volume` action; the attachment changes when it completes.
fn volume_action(st: &mut State, vid: &str, body: &Value) -> Reply {
    let Some(vol) = st.volumes.get(vid) else {
        return not_found();
    };
    let attach = match body["type"].as_str() {
        Some("attach") => true,
        Some("detach") => false,
        _ => return unprocessable("type must be attach or detach"),
    };
    let Some(did) = body["droplet_id"].as_u64() else {
        return unprocessable("droplet_id is required");
    };
    let Some(droplet) = st.droplets.get(&did) else {
        return not_found();
    };
    if droplet.json["region"]["slug"] != vol["region"]["slug"] {
        return unprocessable("the volume and the Droplet must be in the same region");
    }
    let attached = vol["droplet_ids"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| *x == did));
    let busy = vol["droplet_ids"].as_array().is_some_and(|a| !a.is_empty());
    if attach && busy {
        return unprocessable("the volume is already attached to a Droplet");
    }
    if !attach && !attached {
        return unprocessable("the volume is not attached to this Droplet");
    }
    let region = vol["region"].clone();
    let (kind, effect) = match attach {
        true => ("attach_volume", Effect::Attach(vid.to_string(), did)),
        false => ("detach_volume", Effect::Detach(vid.to_string(), did)),
    };
    let aid = new_action(st, kind, Value::Null, "volume", &region, effect);
    Reply::json(202, json!({ "action": st.actions[&aid].json }))
}

/// Applies a completed attach (`on`) or detach to both sides.
pub(super) fn attach(st: &mut State, vid: &str, did: u64, on: bool) {
    if let Some(ids) = st
        .volumes
        .get_mut(vid)
        .and_then(|v| v["droplet_ids"].as_array_mut())
    {
        ids.retain(|x| *x != did);
        if on {
            ids.push(did.into());
        }
    }
    let vols = st
        .droplets
        .get_mut(&did)
        .and_then(|d| d.json["volume_ids"].as_array_mut());
    if let Some(vols) = vols {
        vols.retain(|x| *x != vid);
        if on {
            vols.push(vid.into());
        }
    }
}

/// `POST /v2/volumes/{id}/snapshots` with `name` (and `tags`): 201.
fn snapshot(st: &mut State, vid: &str, body: &Value) -> Reply {
    let Some(vol) = st.volumes.get(vid).cloned() else {
        return not_found();
    };
    let Some(name) = body["name"].as_str().filter(|n| !n.is_empty()) else {
        return unprocessable("name is required");
    };
    let id = st.uuid();
    let json = json!({
        "id": id, "name": name, "created_at": iso8601(now()),
        "regions": [vol["region"]["slug"]], "min_disk_size": vol["size_gigabytes"],
        "size_gigabytes": 0.0, "resource_id": vid, "resource_type": "volume",
        "tags": if body["tags"].is_array() { body["tags"].clone() } else { json!([]) },
    });
    st.snapshots.insert(id, json.clone());
    Reply::json(201, json!({ "snapshot": json }))
}

//! Droplets, droplet actions, `/v2/actions`, and the catalog listings.

use serde_json::{Value, json};

use super::ImageKind;
use super::server::Request;
use super::state::{
    Action, Droplet, Effect, NoPages, Query, Reply, State, iso8601, not_found, now, page,
    unprocessable,
};

pub(super) fn route(st: &mut State, m: &str, segs: &[&str], q: &Query, req: &Request) -> Reply {
    let id = |i: usize| segs.get(i).and_then(|s| s.parse::<u64>().ok());
    match (segs, m) {
        (["droplets"], "GET") => list(st, q),
        (["droplets"], "POST") => req.json().map_or_else(|e| e, |b| create(st, &b)),
        (["droplets", _], "GET") => get(st, id(1)),
        (["droplets", _], "DELETE") => destroy(st, id(1)),
        (["droplets", _, "actions"], "POST") => req
            .json()
            .map_or_else(|e| e, |b| start_action(st, id(1), &b)),
        (["droplets", _, "actions"], "GET") => {
            let did = id(1).filter(|d| st.droplets.contains_key(d));
            let Some(did) = did else { return not_found() };
            let mine = st.actions.values().filter(|a| a.json["resource_id"] == did);
            let mine = mine.map(|a| a.json.clone()).collect();
            page(st, &req.path, q, "actions", mine, NoPages::EmptyPages)
        }
        (["droplets", _, "actions", _], "GET") => poll_action(st, id(3), id(1)),
        (["actions"], "GET") => {
            let all = st.actions.values().map(|a| a.json.clone()).collect();
            page(st, &req.path, q, "actions", all, NoPages::EmptyPages)
        }
        (["actions", _], "GET") => poll_action(st, id(1), None),
        _ => not_found(),
    }
}

/// `GET /v2/sizes`, `/v2/images` (filters `type`, `private`, `tag_name`), `/v2/regions`.
pub(super) fn catalog(st: &State, what: &str, q: &Query) -> Reply {
    let items = match what {
        "sizes" => st.sizes.clone(),
        "regions" => st.regions.clone(),
        _ => st
            .images
            .iter()
            .filter(|(kind, img)| image_matches(*kind, img, q))
            .map(|(_, img)| img.clone())
            .collect(),
    };
    page(
        st,
        &format!("/v2/{what}"),
        q,
        what,
        items,
        NoPages::EmptyPages,
    )
}

fn image_matches(kind: ImageKind, img: &Value, q: &Query) -> bool {
    let type_ok = match q.get("type") {
        Some("distribution") => kind == ImageKind::Distribution,
        Some("application") => kind == ImageKind::Application,
        _ => true,
    };
    let private_ok = q.get("private") != Some("true") || img["public"] == false;
    let tag_ok = q.get("tag_name").is_none_or(|t| {
        img["tags"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == t))
    });
    type_ok && private_ok && tag_ok
}

fn list(st: &mut State, q: &Query) -> Reply {
    let ids: Vec<u64> = st
        .droplets
        .values()
        .filter(|d| droplet_matches(&d.json, q))
        .map(|d| d.json["id"].as_u64().unwrap_or(0))
        .collect();
    // A listing is an observation: the droplets it shows move on, as a GET would.
    let shown = ids.into_iter().map(|id| observe(st, id)).collect();
    page(
        st,
        "/v2/droplets",
        q,
        "droplets",
        shown,
        NoPages::EmptyPages,
    )
}

fn droplet_matches(d: &Value, q: &Query) -> bool {
    let tag_ok = q.get("tag_name").is_none_or(|t| {
        d["tags"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == t))
    });
    let name_ok = q.get("name").is_none_or(|n| {
        d["name"]
            .as_str()
            .is_some_and(|x| x.eq_ignore_ascii_case(n))
    });
    tag_ok && name_ok
}

fn get(st: &mut State, id: Option<u64>) -> Reply {
    match id.filter(|i| st.droplets.contains_key(i)) {
        Some(id) => Reply::json(200, json!({ "droplet": observe(st, id) })),
        None => not_found(),
    }
}

/// One poll of a droplet: a `new` one turns `active` (with addresses) on its
/// `active_after`-th observation, and its create action completes with it.
fn observe(st: &mut State, id: u64) -> Value {
    let after = st.active_after;
    let d = st.droplets.get_mut(&id).expect("observed droplets exist");
    d.polls += 1;
    if d.json["status"] == "new" && d.polls >= after {
        let create = d.create_action;
        activate(st, id);
        if let Some(a) = st.actions.get_mut(&create) {
            finish(&mut a.json);
        }
    }
    st.droplets[&id].json.clone()
}

fn activate(st: &mut State, id: u64) {
    let Some(d) = st.droplets.get_mut(&id) else {
        return;
    };
    d.json["status"] = "active".into();
    let (hi, lo) = ((id / 250) % 256, id % 250 + 2);
    let mut v6 = vec![];
    if d.ipv6 {
        v6.push(
            json!({ "ip_address": format!("2604:a880:0:1010::{id:x}"), "netmask": 64,
                        "gateway": "2604:a880:0:1010::1", "type": "public" }),
        );
    }
    // The reference's example shows a private interface's missing gateway as `nil`.
    d.json["networks"] = json!({
        "v4": [
            { "ip_address": format!("10.128.{hi}.{lo}"), "netmask": "255.255.0.0",
              "gateway": "nil", "type": "private" },
            { "ip_address": format!("203.0.113.{lo}"), "netmask": "255.255.255.0",
              "gateway": "203.0.113.1", "type": "public" },
        ],
        "v6": v6,
    });
}

fn finish(action: &mut Value) {
    action["status"] = "completed".into();
    action["completed_at"] = iso8601(now()).into();
}

fn destroy(st: &mut State, id: Option<u64>) -> Reply {
    let Some(d) = id.and_then(|i| st.droplets.remove(&i)) else {
        return not_found();
    };
    for vol in st.volumes.values_mut() {
        if let Some(ids) = vol["droplet_ids"].as_array_mut() {
            ids.retain(|x| *x != d.json["id"]);
        }
    }
    Reply::no_content()
}

/// `POST /v2/droplets`: `name` or `names` (up to ten), `size`, `image` (slug or id),
/// optional `region` (slug or slug prefix), `ssh_keys` (ids or fingerprints), `user_data`
/// (at most 64 KiB), `tags`, `ipv6`. 202 with the droplet(s) `new` and `links.actions`.
fn create(st: &mut State, body: &Value) -> Reply {
    let plan = match plan(st, body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (mut made, mut links) = (vec![], vec![]);
    for name in &plan.names {
        let (droplet, action) = build(st, &plan, name);
        let href = format!("{}/v2/actions/{action}", st.base);
        links.push(json!({ "id": action, "rel": "create", "href": href }));
        made.push(droplet);
    }
    let links = json!({ "actions": links });
    if plan.multiple {
        Reply::json(202, json!({ "droplets": made, "links": links }))
    } else {
        Reply::json(202, json!({ "droplet": made[0], "links": links }))
    }
}

/// A create request, checked.
struct Plan {
    names: Vec<String>,
    multiple: bool,
    size: Value,
    image: Value,
    region: Value,
    tags: Value,
    ipv6: bool,
}

fn plan(st: &State, body: &Value) -> Result<Plan, Reply> {
    let (names, multiple) = names(body)?;
    let size = st
        .sizes
        .iter()
        .find(|s| s["slug"] == body["size"] && body["size"].is_string());
    let size =
        size.ok_or_else(|| unprocessable("You specified an invalid size for Droplet creation."))?;
    let image = st.images.iter().map(|(_, i)| i).find(|i| {
        (body["image"].is_string() && i["slug"] == body["image"])
            || (body["image"].is_u64() && i["id"] == body["image"])
    });
    let image = image
        .ok_or_else(|| unprocessable("You specified an invalid image for Droplet creation."))?;
    let region = pick_region(st, &body["region"])?;
    check_extras(st, body)?;
    Ok(Plan {
        names,
        multiple,
        size: size.clone(),
        image: image.clone(),
        region,
        tags: if body["tags"].is_array() {
            body["tags"].clone()
        } else {
            json!([])
        },
        ipv6: body["ipv6"] == true,
    })
}

fn names(body: &Value) -> Result<(Vec<String>, bool), Reply> {
    let (list, multiple) = match (&body["name"], &body["names"]) {
        (Value::String(n), Value::Null) => (vec![n.clone()], false),
        (Value::Null, Value::Array(a)) if (1..=10).contains(&a.len()) => {
            let all: Option<Vec<String>> = a.iter().map(|n| n.as_str().map(String::from)).collect();
            (
                all.ok_or_else(|| unprocessable("names must be strings"))?,
                true,
            )
        }
        (Value::Null, Value::Array(_)) => {
            return Err(unprocessable("names must hold 1 to 10 names"));
        }
        _ => return Err(unprocessable("name is required (or names, not both)")),
    };
    match list.iter().find(|n| !valid_hostname(n)) {
        Some(bad) => Err(unprocessable(&format!(
            "Name {bad:?} is not a valid hostname"
        ))),
        None => Ok((list, multiple)),
    }
}

/// The documented pattern `^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$`, at most 255.
fn valid_hostname(n: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    (1..=255).contains(&n.len())
        && n.chars().all(ok)
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// An exact slug, or a prefix (`nyc`) naming any available region it starts; omitted: any.
fn pick_region(st: &State, asked: &Value) -> Result<Value, Reply> {
    let usable = |r: &&Value| r["available"] == true;
    let found = match asked {
        Value::Null => st.regions.iter().find(usable),
        Value::String(s) => st.regions.iter().filter(usable).find(|r| {
            let slug = r["slug"].as_str().unwrap_or("");
            slug == s
                || slug
                    .strip_prefix(s.as_str())
                    .is_some_and(|d| d.chars().all(|c| c.is_ascii_digit()))
        }),
        _ => None,
    };
    found
        .cloned()
        .ok_or_else(|| unprocessable("You specified an invalid region for Droplet creation."))
}

fn check_extras(st: &State, body: &Value) -> Result<(), Reply> {
    let keys = body["ssh_keys"].as_array().cloned().unwrap_or_default();
    let known = |k: &Value| {
        st.keys
            .values()
            .any(|key| key["id"] == *k || key["fingerprint"] == *k)
    };
    if let Some(bad) = keys.iter().find(|k| !known(k)) {
        return Err(unprocessable(&format!(
            "ssh_keys: {bad} is not one of your keys"
        )));
    }
    match &body["user_data"] {
        Value::Null => Ok(()),
        Value::String(u) if u.len() <= 64 * 1024 => Ok(()),
        _ => Err(unprocessable("user_data must be text of at most 64 KiB")),
    }
}

/// Stores one new droplet and its create action; returns its JSON and the action's id.
fn build(st: &mut State, plan: &Plan, name: &str) -> (Value, u64) {
    let id = st.id();
    let mut features = vec!["private_networking"];
    if plan.ipv6 {
        features.push("ipv6");
    }
    let s = &plan.size;
    let json = json!({
        "id": id, "name": name, "memory": s["memory"], "vcpus": s["vcpus"], "disk": s["disk"],
        "disk_info": s["disk_info"], "locked": false, "status": "new", "kernel": null,
        "created_at": iso8601(now()), "features": features, "backup_ids": [],
        "next_backup_window": null, "snapshot_ids": [], "image": plan.image,
        "volume_ids": [], "size": s, "size_slug": s["slug"],
        "networks": { "v4": [], "v6": [] }, "region": plan.region, "tags": plan.tags,
        "vpc_uuid": "760e09ef-dc84-11e8-981e-3cfdfeaae000",
    });
    let action = new_action(
        st,
        "create",
        json!(id),
        "droplet",
        &plan.region,
        Effect::Activate(id),
    );
    st.droplets.insert(
        id,
        Droplet {
            json: json.clone(),
            polls: 0,
            ipv6: plan.ipv6,
            create_action: action,
        },
    );
    (json, action)
}

/// Stores an in-progress action (completed at once when `action_after` is 0).
pub(super) fn new_action(
    st: &mut State,
    kind: &str,
    resource_id: Value,
    resource_type: &str,
    region: &Value,
    effect: Effect,
) -> u64 {
    let id = st.id();
    let json = json!({
        "id": id, "status": "in-progress", "type": kind, "started_at": iso8601(now()),
        "completed_at": null, "resource_id": resource_id, "resource_type": resource_type,
        "region": region, "region_slug": region["slug"],
    });
    let polls_left = st.action_after;
    let fails = st.actions_to_fail > 0;
    st.actions_to_fail = st.actions_to_fail.saturating_sub(1);
    st.actions.insert(
        id,
        Action {
            json,
            polls_left,
            effect,
            fails,
        },
    );
    if polls_left == 0 {
        complete(st, id);
    }
    id
}

/// One GET of an action (optionally through its droplet): it completes on its
/// `action_after`-th GET, applying its effect.
fn poll_action(st: &mut State, id: Option<u64>, droplet: Option<u64>) -> Reply {
    let Some(a) = id.and_then(|i| st.actions.get_mut(&i)) else {
        return not_found();
    };
    if droplet.is_some_and(|d| a.json["resource_id"] != d) {
        return not_found();
    }
    if a.json["status"] == "in-progress" {
        a.polls_left = a.polls_left.saturating_sub(1);
        if a.polls_left == 0 {
            complete(st, id.unwrap_or(0));
        }
    }
    Reply::json(200, json!({ "action": st.actions[&id.unwrap_or(0)].json }))
}

fn complete(st: &mut State, id: u64) {
    let Some(a) = st.actions.get_mut(&id) else {
        return;
    };
    if a.fails {
        a.json["status"] = "errored".into();
        a.json["completed_at"] = iso8601(now()).into();
        return;
    }
    finish(&mut a.json);
    match a.effect.clone() {
        Effect::Activate(d) => activate(st, d),
        Effect::Status(d, s) => {
            if let Some(d) = st.droplets.get_mut(&d) {
                d.json["status"] = s.into();
            }
        }
        Effect::Attach(v, d) => super::block::attach(st, &v, d, true),
        Effect::Detach(v, d) => super::block::attach(st, &v, d, false),
    }
}

/// `POST /v2/droplets/{id}/actions` with `type` power_off, shutdown, power_on, reboot or
/// power_cycle: 201 with the action in progress; the droplet's status follows when the
/// action completes. A droplet with an action in progress (a `new` one too) refuses.
fn start_action(st: &mut State, id: Option<u64>, body: &Value) -> Reply {
    let Some(did) = id.filter(|i| st.droplets.contains_key(i)) else {
        return not_found();
    };
    let status = match body["type"].as_str() {
        Some("power_off" | "shutdown") => "off",
        Some("power_on" | "reboot" | "power_cycle") => "active",
        Some(other) => {
            return unprocessable(&format!(
                "action type {other:?} is not supported by this fake"
            ));
        }
        None => return unprocessable("type is required"),
    };
    let busy = st.actions.values().any(|a| {
        a.json["resource_type"] == "droplet"
            && a.json["resource_id"] == did
            && a.json["status"] == "in-progress"
    });
    if busy {
        return unprocessable("Droplet already has a pending event.");
    }
    let region = st.droplets[&did].json["region"].clone();
    let kind = body["type"].as_str().unwrap_or_default();
    let aid = new_action(
        st,
        kind,
        json!(did),
        "droplet",
        &region,
        Effect::Status(did, status),
    );
    Reply::json(201, json!({ "action": st.actions[&aid].json }))
}

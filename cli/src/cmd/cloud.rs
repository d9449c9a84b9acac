//! Compute and DNS: nodes over several providers at once, zones, records, zone files.

use crate::exit::{Context, Done, Outcome, Tally, output_error};
use crate::format;
use crate::target::shown;
use multicloud::blocking::across;
use multicloud::blocking::compute::{AnyCompute, ComputeDriver};
use multicloud::blocking::dns::{AnyDns, DnsDriver, export_zone, import_zone};
use multicloud::compute::Node;
use multicloud::dns::{Record, Zone, presentation};
use std::io::Write;
use std::path::Path;

/// `nodes ls URL...`: every provider's nodes at once, one table with a provider column.
pub fn nodes_ls(urls: &[String], json: bool) -> Outcome {
    let mut clouds = Vec::new();
    for url in urls {
        let cloud = AnyCompute::from_url(url).doing(|| shown(url))?;
        clouds.push((shown(url), cloud));
    }
    let results = across(clouds, 8, |cloud| cloud.list_nodes());
    let mut tally = Tally::default();
    let mut rows = vec![header(&[
        "PROVIDER",
        "ID",
        "NAME",
        "STATE",
        "SIZE",
        "PUBLIC IP",
        "LOCATION",
    ])];
    let mut out = std::io::stdout().lock();
    for region in results {
        tally.record(|| format!("list nodes of {}", region.label), &region.result);
        for node in region.result.iter().flatten() {
            if json {
                format::json_line(&mut out, &node_json(&region.label, node))
                    .map_err(output_error)?;
            } else {
                rows.push(node_row(&region.label, node));
            }
        }
    }
    if !json {
        format::table(&mut out, &rows).map_err(output_error)?;
    }
    Ok(tally.done())
}

fn header(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn node_row(label: &str, n: &Node) -> Vec<String> {
    let ip = n
        .public_ips
        .first()
        .map_or_else(|| "-".to_owned(), ToString::to_string);
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    vec![
        label.to_owned(),
        n.id.clone(),
        n.name.clone(),
        n.state.to_string(),
        dash(&n.size),
        ip,
        dash(&n.location),
    ]
}

fn node_json(label: &str, n: &Node) -> serde_json::Value {
    serde_json::json!({
        "provider": label, "id": n.id, "name": n.name, "state": n.state.to_string(),
        "size": n.size, "image": n.image, "location": n.location,
        "public_ips": n.public_ips, "private_ips": n.private_ips,
        "created_at": n.created_at.map(|t| format::when(Some(t))), "tags": n.tags,
    })
}

/// `zones ls URL`.
pub fn zones_ls(url: &str, json: bool) -> Outcome {
    let dns = AnyDns::from_url(url).doing(|| shown(url))?;
    let zones = dns
        .list_zones()
        .doing(|| format!("list zones of {}", shown(url)))?;
    let mut out = std::io::stdout().lock();
    if json {
        for z in &zones {
            format::json_line(&mut out, &zone_json(z)).map_err(output_error)?;
        }
        return Ok(Done::All);
    }
    let mut rows = vec![header(&["ID", "DOMAIN", "TTL"])];
    rows.extend(
        zones
            .iter()
            .map(|z| vec![z.id.clone(), z.domain.clone(), ttl(z.ttl)]),
    );
    format::table(&mut out, &rows).map_err(output_error)?;
    Ok(Done::All)
}

fn zone_json(z: &Zone) -> serde_json::Value {
    serde_json::json!({ "id": z.id, "domain": z.domain, "ttl": z.ttl })
}

fn ttl(t: Option<u32>) -> String {
    t.map_or_else(|| "-".to_owned(), |t| t.to_string())
}

/// A zone named by domain or by id. Ids that are no domain (Route53's `Z0123…`,
/// Cloudflare's hex) make `find_zone` refuse them as input, so they are looked up as ids.
fn find(dns: &AnyDns, zone: &str) -> multicloud::Result<Zone> {
    use multicloud::ErrorKind::{InvalidInput, NotFound};
    match dns.find_zone(zone) {
        Err(e) if matches!(e.kind(), NotFound | InvalidInput) => dns.get_zone(zone),
        other => other,
    }
}

/// `records ls URL ZONE`.
pub fn records_ls(url: &str, zone: &str, json: bool) -> Outcome {
    let dns = AnyDns::from_url(url).doing(|| shown(url))?;
    let what = || format!("list records of {zone} at {}", shown(url));
    let z = find(&dns, zone).doing(what)?;
    let records = dns.list_records(&z.id).doing(what)?;
    let mut out = std::io::stdout().lock();
    if json {
        for r in &records {
            format::json_line(&mut out, &record_json(r)).map_err(output_error)?;
        }
        return Ok(Done::All);
    }
    let mut rows = vec![header(&["NAME", "TYPE", "TTL", "DATA", "ID"])];
    rows.extend(records.iter().map(record_row));
    format::table(&mut out, &rows).map_err(output_error)?;
    Ok(Done::All)
}

fn record_row(r: &Record) -> Vec<String> {
    let name = if r.name.is_empty() {
        "@".to_owned()
    } else {
        r.name.clone()
    };
    let data = presentation::to_text(&r.data);
    vec![
        name,
        r.record_type().to_string(),
        ttl(r.ttl),
        data,
        r.id.clone(),
    ]
}

fn record_json(r: &Record) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "name": r.name, "type": r.record_type().to_string(),
        "ttl": r.ttl, "data": presentation::to_text(&r.data),
    })
}

/// `zone export URL ZONE [-o FILE]`.
pub fn zone_export(url: &str, zone: &str, output: Option<&Path>) -> Outcome {
    let dns = AnyDns::from_url(url).doing(|| shown(url))?;
    let what = || format!("export {zone} from {}", shown(url));
    let z = find(&dns, zone).doing(what)?;
    let text = export_zone(&dns, &z.id).doing(what)?;
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| crate::listing::local_error(e, path))
            .doing(what)?,
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(output_error)?,
    }
    Ok(Done::All)
}

/// `zone import URL DOMAIN FILE`.
pub fn zone_import(url: &str, domain: &str, file: &Path) -> Outcome {
    let dns = AnyDns::from_url(url).doing(|| shown(url))?;
    let what = || format!("import {} into {domain} at {}", file.display(), shown(url));
    let text = read_text(file).doing(what)?;
    let report = import_zone(&dns, domain, &text).doing(what)?;
    say!(
        "{domain}: {} created, {} updated, {} unchanged, {} left to the provider",
        report.created,
        report.updated,
        report.unchanged,
        report.skipped
    );
    Ok(Done::All)
}

fn read_text(file: &Path) -> multicloud::Result<String> {
    let local = |e| crate::listing::local_error(e, file);
    if file.as_os_str() == "-" {
        return std::io::read_to_string(std::io::stdin()).map_err(local);
    }
    std::fs::read_to_string(file).map_err(local)
}

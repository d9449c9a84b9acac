//! What nodes can be made of and where: DescribeInstanceTypes ([`NodeSize`]),
//! DescribeImages ([`NodeImage`]), DescribeRegions and DescribeAvailabilityZones
//! ([`NodeLocation`]).

use std::collections::BTreeMap;

use super::tree::Element;
use super::{document, extra_of, next_token, number, parse_error, required};
use crate::compute::{NodeImage, NodeLocation, NodeSize};
use crate::error::Result;
use crate::http::Response;
use crate::storage::Page;

/// One page of instance types. EC2 states no price in its API (`price_hourly` is `None`)
/// and instance storage only for types that have it (`disk_gib` is 0 otherwise).
pub fn describe_instance_types(resp: &Response) -> Result<Page<NodeSize>> {
    const ACTION: &str = "DescribeInstanceTypes";
    let doc = document(resp, ACTION)?;
    let items = doc
        .items("instanceTypeSet")
        .map(|item| size(item, ACTION))
        .collect::<Result<Vec<_>>>()?;
    let next_token = next_token(&doc);
    Ok(Page { items, next_token })
}

fn size(item: &Element, action: &str) -> Result<NodeSize> {
    let id = required(item.text_of("instanceType"), action, "instanceType")?;
    let memory = item.child("memoryInfo");
    let ram_mib = memory.map(|m| number(m, "sizeInMiB", action)).transpose()?;
    let vcpu = item.child("vCpuInfo");
    let vcpus = vcpu
        .map(|v| number(v, "defaultVCpus", action))
        .transpose()?;
    let storage = item.child("instanceStorageInfo");
    let disk = storage
        .map(|s| number(s, "totalSizeInGB", action))
        .transpose()?;
    let mut extra = extra_of(item, &["instanceType"]);
    let arch = item.child("processorInfo").map(|p| {
        p.items("supportedArchitectures")
            .map(|a| a.text.as_str())
            .collect::<Vec<_>>()
            .join(",")
    });
    if let Some(a) = arch.filter(|a| !a.is_empty()) {
        extra.insert("supportedArchitectures".into(), a);
    }
    if let Some(perf) = item
        .child("networkInfo")
        .and_then(|n| n.text_of("networkPerformance"))
    {
        extra.insert("networkPerformance".into(), perf.to_owned());
    }
    Ok(NodeSize {
        id: id.to_owned(),
        name: id.to_owned(),
        ram_mib: required_number(ram_mib.flatten(), action, "memoryInfo/sizeInMiB")?,
        vcpus: required_number(vcpus.flatten(), action, "vCpuInfo/defaultVCpus")?,
        disk_gib: disk.flatten().unwrap_or(0),
        price_hourly: None,
        extra,
    })
}

fn required_number<T>(v: Option<T>, action: &str, field: &str) -> Result<T> {
    v.ok_or_else(|| parse_error(action, format!("an instance type lacks <{field}>")))
}

/// One page of a DescribeImages answer and the token of the next. `name` is empty for
/// an image without one.
pub fn describe_images(resp: &Response) -> Result<Page<NodeImage>> {
    const ACTION: &str = "DescribeImages";
    let doc = document(resp, ACTION)?;
    let items = doc
        .items("imagesSet")
        .map(|item| {
            let id = required(item.text_of("imageId"), ACTION, "imageId")?;
            Ok(NodeImage {
                id: id.to_owned(),
                name: item.text_of("name").unwrap_or_default().to_owned(),
                extra: extra_of(item, &["imageId", "name"]),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let next_token = next_token(&doc);
    Ok(Page { items, next_token })
}

/// The regions of a DescribeRegions answer; `available` is false for a region the
/// account has not opted in to.
pub fn describe_regions(resp: &Response) -> Result<Vec<NodeLocation>> {
    const ACTION: &str = "DescribeRegions";
    let doc = document(resp, ACTION)?;
    doc.items("regionInfo")
        .map(|item| {
            let id = required(item.text_of("regionName"), ACTION, "regionName")?;
            let opt_in = item.text_of("optInStatus");
            Ok(location(
                id,
                opt_in.map(|s| s != "not-opted-in"),
                item,
                "regionName",
            ))
        })
        .collect()
}

/// The zones of a DescribeAvailabilityZones answer; `available` is whether the zone's
/// state is `available`.
pub fn describe_availability_zones(resp: &Response) -> Result<Vec<NodeLocation>> {
    const ACTION: &str = "DescribeAvailabilityZones";
    let doc = document(resp, ACTION)?;
    doc.items("availabilityZoneInfo")
        .map(|item| {
            let id = required(item.text_of("zoneName"), ACTION, "zoneName")?;
            let state = item.text_of("zoneState");
            Ok(location(
                id,
                state.map(|s| s == "available"),
                item,
                "zoneName",
            ))
        })
        .collect()
}

fn location(id: &str, available: Option<bool>, item: &Element, taken: &str) -> NodeLocation {
    let extra: BTreeMap<String, String> = extra_of(item, &[taken]);
    NodeLocation {
        id: id.to_owned(),
        name: id.to_owned(),
        available,
        extra,
    }
}

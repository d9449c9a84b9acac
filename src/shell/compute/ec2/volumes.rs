//! Attaching and detaching EC2 volumes: EC2 wants a device name to attach and (moto at
//! least) the instance to detach from, which the trait's calls do not carry.

use super::super::rt::maybe_async;
use super::{Ec2, calls, ids_of};
use crate::compute::Volume;
use crate::compute::ec2::requests::{Filter, free_device};
use crate::compute::ec2::responses;
use crate::error::Result;

impl Ec2 {
    /// AttachVolume as the first device name (`/dev/sdf` to `/dev/sdp`) no volume of
    /// `node` uses.
    #[maybe_async]
    pub(super) async fn attach(&self, volume: &str, node: &str) -> Result<()> {
        let volume = &ids_of("volume", "vol-", volume)?[0];
        let node = &ids_of("instance", "i-", node)?[0];
        let on_node = Filter::new("attachment.instance-id", [node.as_str()]);
        let look = calls::describe_volumes(&[], &[on_node], None, None)?;
        let used = responses::describe_volumes(&self.send(&look).await?)?.items;
        let device = free_device(&devices_of(&used, node))?;
        let call = calls::attach_volume(volume, node, &device)?;
        responses::volume_attachment(&self.send(&call).await?, call.action(), volume)?;
        Ok(())
    }

    /// DetachVolume from the instance the volume is attached to; a volume attached to
    /// none is `PreconditionFailed`, as on every provider.
    #[maybe_async]
    pub(super) async fn detach(&self, volume: &str) -> Result<()> {
        let ids = ids_of("volume", "vol-", volume)?;
        let look = calls::describe_volumes(&ids, &[], None, None)?;
        let found = responses::describe_volumes(&self.send(&look).await?)?.items;
        let Some(v) = found.into_iter().find(|v| v.id == volume) else {
            return Err(calls::not_found("volume", volume));
        };
        if v.attached_to.is_empty() {
            return Err(calls::not_attached(volume));
        }
        for node in &v.attached_to {
            let call = calls::detach_volume(volume, Some(node))?;
            responses::volume_attachment(&self.send(&call).await?, call.action(), volume)?;
        }
        Ok(())
    }
}

/// The device names `node`'s volumes use, as DescribeVolumes states them.
fn devices_of(volumes: &[Volume], node: &str) -> Vec<String> {
    volumes
        .iter()
        .filter_map(|v| v.extra.get(&format!("device:{node}")).cloned())
        .collect()
}

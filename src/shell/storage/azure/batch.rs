//! `delete_many` through Blob Batch: up to 256 deletes in one request.

use std::sync::Arc;

use super::super::rt::{self, maybe_async};
use super::{Azure, check_blob, check_container, responses};
use crate::error::{Error, ErrorKind, Result};

/// Azure's limit of sub-requests in one batch.
const BATCH_LIMIT: usize = 256;

/// One batch: the names with their places in the caller's list.
type Batch = Vec<(usize, String)>;

impl Azure {
    /// Names checked one by one (a name Azure cannot hold fails alone), the rest deleted
    /// 256 per Blob Batch request, `concurrency` requests at once; results in input order.
    #[maybe_async]
    pub(super) async fn delete_batched(
        &self,
        container: &str,
        names: Vec<String>,
        concurrency: usize,
    ) -> Vec<Result<()>> {
        let checked = |n: &str| check_container(container).and_then(|()| check_blob(n));
        let mut out: Vec<Option<Result<()>>> =
            names.iter().map(|n| checked(n).err().map(Err)).collect();
        let valid: Batch = names
            .into_iter()
            .enumerate()
            .filter(|(i, _)| out[*i].is_none())
            .collect();
        let batches: Vec<Batch> = valid.chunks(BATCH_LIMIT).map(<[_]>::to_vec).collect();
        let (azure, container) = (self.clone(), Arc::new(container.to_owned()));
        let results = rt::spawn_bounded(batches, concurrency, move |batch| {
            let (azure, container) = (azure.clone(), container.clone());
            async move {
                let outcome = azure.delete_batch(&container, &batch).await;
                (batch, outcome)
            }
        })
        .await;
        for (batch, outcome) in results {
            match outcome {
                Ok(each) => batch
                    .iter()
                    .zip(each)
                    .for_each(|((i, _), r)| out[*i] = Some(r)),
                Err(e) => batch
                    .iter()
                    .for_each(|(i, _)| out[*i] = Some(Err(e.replicate()))),
            }
        }
        let lost =
            || Error::new(ErrorKind::Parse, "no result for this delete").with_provider("azure");
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(lost())))
            .collect()
    }

    /// One Blob Batch request; each part is authorized like a request of its own, so a
    /// refused Entra token means building the whole batch again with a fresh one.
    #[maybe_async]
    async fn delete_batch(
        &self,
        container: &str,
        batch: &[(usize, String)],
    ) -> Result<Vec<Result<()>>> {
        let mut resp = self.send_batch(container, batch).await?;
        if self.token_refused(resp.status) {
            resp = self.send_batch(container, batch).await?;
        }
        let context = format!("deleting {} blobs in container {container:?}", batch.len());
        let each = responses::batch_results(&resp, batch.len(), &context)?;
        let named = batch
            .iter()
            .zip(each)
            .map(|((_, name), r)| r.map_err(|e| naming(e, name)));
        Ok(named.collect())
    }

    #[maybe_async]
    async fn send_batch(
        &self,
        container: &str,
        batch: &[(usize, String)],
    ) -> Result<crate::http::Response> {
        let mut parts = Vec::with_capacity(batch.len());
        for (_, name) in batch {
            let part = self.requests.batch_delete_part(container, name);
            parts.push(self.authorize(part).await?);
        }
        let boundary = format!("batch_{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let req = self
            .authorize(self.requests.batch(container, &parts, &boundary))
            .await?;
        self.http.send(&req).await
    }
}

/// A part's error, naming the blob it was about (the batch's answer names only parts).
fn naming(e: Error, name: &str) -> Error {
    let mut out = Error::new(e.kind(), format!("blob {name:?}: {}", e.message()))
        .with_provider(super::PROVIDER);
    if let Some(status) = e.status() {
        out = out.with_status(status);
    }
    if let Some(code) = e.code() {
        out = out.with_code(code);
    }
    out
}

//! The in-memory store behind the `Memory` driver: a plain data structure, no locking and
//! no I/O (the driver wraps it in a lock).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::SystemTime;

use bytes::Bytes;

use super::{Container, GetOptions, Object, Page, UploadOptions, md5_hex, names};
use crate::error::{Error, ErrorKind, Result};

/// Containers and their objects, ordered by name as S3 orders keys (bytewise).
#[derive(Debug, Default)]
pub struct MemoryStore {
    containers: BTreeMap<String, Bucket>,
}

#[derive(Debug)]
struct Bucket {
    created: SystemTime,
    objects: BTreeMap<String, (Object, Bytes)>,
}

impl MemoryStore {
    /// All containers, by name.
    pub fn list_containers(&self) -> Vec<Container> {
        self.containers
            .iter()
            .map(|(name, b)| container(name, b))
            .collect()
    }

    /// One container.
    pub fn container(&self, name: &str) -> Result<Container> {
        Ok(container(name, self.bucket(name)?))
    }

    /// Creates a container; `AlreadyExists` if it is there.
    pub fn create_container(&mut self, name: &str) -> Result<Container> {
        names::validate_container(name)?;
        if self.containers.contains_key(name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("container {name:?} already exists"),
            ));
        }
        let b = Bucket {
            created: SystemTime::now(),
            objects: BTreeMap::new(),
        };
        let c = container(name, &b);
        self.containers.insert(name.to_owned(), b);
        Ok(c)
    }

    /// Deletes an empty container; `NotEmpty` if it holds objects.
    pub fn delete_container(&mut self, name: &str) -> Result<()> {
        if !self.bucket(name)?.objects.is_empty() {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {name:?} is not empty"),
            ));
        }
        self.containers.remove(name);
        Ok(())
    }

    /// Up to `max` objects whose names start with `prefix`, after the name `token`.
    pub fn list_page(
        &self,
        container: &str,
        prefix: &str,
        token: Option<&str>,
        max: usize,
    ) -> Result<Page<Object>> {
        let objects = &self.bucket(container)?.objects;
        let lower = match token {
            Some(t) if t >= prefix => Bound::Excluded(t),
            _ => Bound::Included(prefix),
        };
        let mut items: Vec<Object> = objects
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(max.max(1) + 1)
            .map(|(_, (o, _))| o.clone())
            .collect();
        let next_token = if items.len() > max.max(1) {
            items.pop();
            items.last().map(|o| o.name.clone())
        } else {
            None
        };
        Ok(Page { items, next_token })
    }

    /// An object's metadata.
    pub fn head(&self, container: &str, name: &str) -> Result<Object> {
        Ok(self.entry(container, name)?.0.clone())
    }

    /// An object's metadata and a range of its content (cheap: `Bytes` shares the buffer),
    /// if the read's preconditions hold.
    pub fn get(&self, container: &str, name: &str, opts: &GetOptions) -> Result<(Object, Bytes)> {
        let (o, data) = self.entry(container, name)?;
        opts.conditions.check(o)?;
        let (offset, len) = opts.range.resolve(data.len() as u64)?;
        let slice = data.slice(offset as usize..(offset + len) as usize);
        Ok((o.clone(), slice))
    }

    /// Stores an object, replacing any with that name, if the upload's condition holds.
    pub fn put(
        &mut self,
        container: &str,
        name: &str,
        data: Bytes,
        opts: &UploadOptions,
    ) -> Result<Object> {
        names::validate_object(name)?;
        let opts = opts.validated()?;
        let bucket = self.bucket_mut(container)?;
        if let Some(condition) = &opts.condition {
            condition.check(name, bucket.objects.get(name).map(|(o, _)| o))?;
        }
        let object = Object {
            container: container.to_owned(),
            name: name.to_owned(),
            size: data.len() as u64,
            hash: Some(md5_hex(&data)),
            content_type: Some(
                opts.content_type
                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
            ),
            last_modified: Some(SystemTime::now()),
            metadata: opts.metadata,
            crc32c: None,
        };
        bucket
            .objects
            .insert(name.to_owned(), (object.clone(), data));
        Ok(object)
    }

    /// Copies an object, content type and metadata included; the content is shared.
    pub fn copy(
        &mut self,
        src_container: &str,
        src_name: &str,
        dst_container: &str,
        dst_name: &str,
    ) -> Result<Object> {
        names::validate_object(dst_name)?;
        let (source, data) = self.entry(src_container, src_name)?.clone();
        let bucket = self.bucket_mut(dst_container)?;
        let object = Object {
            container: dst_container.to_owned(),
            name: dst_name.to_owned(),
            last_modified: Some(SystemTime::now()),
            ..source
        };
        bucket
            .objects
            .insert(dst_name.to_owned(), (object.clone(), data));
        Ok(object)
    }

    /// Deletes an object. Deleting a missing object succeeds (as on S3), so retries and
    /// `delete_many` are idempotent; a missing container is `NotFound`.
    pub fn delete(&mut self, container: &str, name: &str) -> Result<()> {
        names::validate_object(name)?;
        self.bucket_mut(container)?.objects.remove(name);
        Ok(())
    }

    fn bucket(&self, name: &str) -> Result<&Bucket> {
        self.containers
            .get(name)
            .ok_or_else(|| Error::not_found(format!("container {name:?} does not exist")))
    }

    fn bucket_mut(&mut self, name: &str) -> Result<&mut Bucket> {
        self.containers
            .get_mut(name)
            .ok_or_else(|| Error::not_found(format!("container {name:?} does not exist")))
    }

    fn entry(&self, container: &str, name: &str) -> Result<&(Object, Bytes)> {
        names::validate_object(name)?;
        self.bucket(container)?
            .objects
            .get(name)
            .ok_or_else(|| Error::not_found(format!("object {name:?} in container {container:?}")))
    }
}

fn container(name: &str, b: &Bucket) -> Container {
    Container {
        name: name.to_owned(),
        created: Some(b.created),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_tokens_and_respect_prefix() {
        let mut s = MemoryStore::default();
        s.create_container("c").unwrap();
        for n in ["a/1", "a/2", "a/3", "b/1", "a0"] {
            s.put("c", n, Bytes::from_static(b"x"), &UploadOptions::new())
                .unwrap();
        }
        let p1 = s.list_page("c", "a/", None, 2).unwrap();
        let names: Vec<_> = p1.items.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a/1", "a/2"]);
        let p2 = s.list_page("c", "a/", p1.next_token.as_deref(), 2).unwrap();
        let names: Vec<_> = p2.items.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["a/3"]);
        assert_eq!(p2.next_token, None);
    }
}

//! A small ureq client for the fake's own tests: sends the bearer token, reads every
//! status as an answer (not an error).

use serde_json::Value;

use super::common::digitalocean_fake::DoFake;

pub const TOKEN: &str = "dop_v1_fake";

/// One answer: status, headers and body text.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A client that sends the bearer token and reads every status as an answer.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(fake: &DoFake) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            agent,
            base: fake.url(),
            token: Some(TOKEN.into()),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn get(&self, path: &str) -> Answer {
        self.try_get(path).expect("GET answered")
    }

    pub fn try_get(&self, path: &str) -> Result<Answer, ureq::Error> {
        let mut req = self.agent.get(self.url(path));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        read(req.call()?)
    }

    pub fn post(&self, path: &str, body: Value) -> Answer {
        self.post_raw(path, &body.to_string())
    }

    /// A POST whose body is sent as given (to send what is not JSON).
    pub fn post_raw(&self, path: &str, body: &str) -> Answer {
        let mut req = self.agent.post(self.url(path));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let resp = req.content_type("application/json").send(body);
        read(resp.expect("POST answered")).expect("POST body read")
    }

    /// A PUT (`put`) or PATCH with a JSON body.
    pub fn update(&self, put: bool, path: &str, body: Value) -> Answer {
        let url = self.url(path);
        let mut req = match put {
            true => self.agent.put(url),
            false => self.agent.patch(url),
        };
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        let resp = req.content_type("application/json").send(body.to_string());
        read(resp.expect("update answered")).expect("update body read")
    }

    pub fn delete(&self, path: &str) -> Answer {
        let mut req = self.agent.delete(self.url(path));
        if let Some(t) = &self.token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        read(req.call().expect("DELETE answered")).expect("DELETE body read")
    }
}

fn read(mut resp: http::Response<ureq::Body>) -> Result<Answer, ureq::Error> {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.body_mut().read_to_string()?;
    Ok(Answer {
        status,
        headers,
        text,
    })
}

//! A successful answer and the typed error of an unsuccessful one.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorBody};

/// A successful (2xx) answer.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
    pub(super) method: String,
    pub(super) path: String,
}

impl Reply {
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::Decode {
            method: self.method.clone(),
            path: self.path.clone(),
            message: e.to_string(),
        })
    }

    /// V2 lists answer 204 with no body when empty.
    pub(crate) fn decode_list<T: DeserializeOwned>(&self) -> Result<Vec<T>, Error> {
        if self.status == StatusCode::NO_CONTENT || self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        self.decode()
    }
}

pub(super) fn map_error(
    status: StatusCode,
    body: &[u8],
    method: String,
    path: String,
    attempts: u32,
) -> Error {
    let parsed = ErrorBody::parse(&String::from_utf8_lossy(body));
    let message = parsed.message;
    let code = status.as_u16();
    match code {
        401 | 403 => Error::Unauthorized {
            method,
            path,
            status: code,
            message,
        },
        404 => Error::NotFound {
            method,
            path,
            message,
        },
        409 => Error::Conflict {
            method,
            path,
            message,
            fields: parsed.fields,
        },
        413 => Error::TooLarge {
            method,
            path,
            message,
        },
        400 | 422 => Error::Validation {
            method,
            path,
            status: code,
            message,
            fields: parsed.fields,
        },
        500..=599 => Error::Server {
            method,
            path,
            status: code,
            attempts,
            message,
        },
        _ => Error::Status {
            method,
            path,
            status: code,
            message,
        },
    }
}

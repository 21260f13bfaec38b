//! Fetching the JSON API of `aud serve` (same origin, relative URLs).

use aud_core::api::ApiError;
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// `GET url` and decode the body as `T`; an error response yields the API's `error` message.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|e| format!("Could not reach the aud server ({e}). Is `aud serve` running?"))?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| format!("Unexpected response from {url}: {e}"));
    }
    let status = response.status();
    let status_text = response.status_text();
    match response.json::<ApiError>().await {
        Ok(error) => Err(error.error),
        Err(_) => Err(format!("{url} answered HTTP {status} {status_text}")),
    }
}

/// `/api/plans/{id}`.
pub fn plan_url(plan: &str) -> String {
    format!("/api/plans/{plan}")
}

/// `/api/plans/{id}/tasks/{n}`.
pub fn task_url(plan: &str, task: &str) -> String {
    format!("/api/plans/{plan}/tasks/{task}")
}

/// `/api/plans/{id}/checkpoints/{cid}`.
pub fn checkpoint_url(plan: i64, checkpoint: i64) -> String {
    format!("/api/plans/{plan}/checkpoints/{checkpoint}")
}

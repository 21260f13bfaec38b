//! The aud web UI: a Leptos app, rendered client-side and built with trunk, that `aud serve`
//! serves with its read-only JSON API (types in [`aud_core::api`]).
//!
//! The pages (`ui`) are thin: what they show is computed by pure functions tested on the host
//! (`cargo test -p aud-web`): the burn-down geometry ([`chart`]), the YAML highlighter
//! ([`yaml`]), the unified-diff classifier ([`diff`]), the playground's validation and error
//! mapping ([`spec_check`]) and the formatting helpers ([`mod@format`]).

mod api;
mod chart;
mod diff;
mod format;
mod spec_check;
mod ui;
mod yaml;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(ui::App);
}

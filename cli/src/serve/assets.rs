//! The web UI's files, embedded at build time by `cli/build.rs` (see there).
//!
//! A request path is looked up exactly in the embedded table: no decoding, no normalisation and
//! no file system, so no spelling of `..` can reach anything but the UI's own files. The
//! client-side routes of the UI answer its `index.html`.

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// A table of embedded files: `(path relative to the dist directory, content)`.
pub type Table = &'static [(&'static str, &'static [u8])];

/// The files of this build's UI (empty when it was built without trunk).
pub fn embedded() -> Table {
    ASSETS
}

/// What a path of the UI serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// An embedded file.
    File(Asset),
    /// A page of the UI, but this build has none: say how to get it.
    NoUi,
    /// Nothing.
    NotFound,
}

/// An embedded file with its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its bytes.
    pub body: &'static [u8],
    /// `Content-Type`.
    pub content_type: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
}

/// The UI's entry page.
const INDEX: &str = "index.html";

/// What `path` (the request's, as sent) serves from `table`.
pub fn resolve(table: Table, path: &str) -> Served {
    let name = if is_client_route(path) {
        INDEX
    } else {
        match path.strip_prefix('/') {
            Some(name) if !name.is_empty() => name,
            _ => return Served::NotFound,
        }
    };
    match table.iter().find(|(p, _)| *p == name) {
        Some((p, body)) => Served::File(Asset {
            body,
            content_type: content_type(p),
            cache_control: cache_control(p),
        }),
        None if name == INDEX => Served::NoUi,
        None => Served::NotFound,
    }
}

/// The routes the UI handles itself: `/`, `/plans/{id}`, `/plans/{id}/tasks/{n}`,
/// `/playground`.
fn is_client_route(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit());
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [""] | ["playground"] => true,
        ["plans", id] => number(id),
        ["plans", id, "tasks", n] => number(id) && number(n),
        _ => false,
    }
}

/// The media type of an embedded file, by its extension.
fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Hashed names (trunk's `name-0123456789abcdef.js`, `..._bg.wasm`) never change content: cache
/// them for good. Everything else, `index.html` first, is revalidated.
fn cache_control(name: &str) -> &'static str {
    let file = name.rsplit('/').next().unwrap_or(name);
    let stem = file.split_once('.').map_or(file, |(s, _)| s);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let hashed = stem
        .rsplit_once('-')
        .is_some_and(|(_, h)| h.len() >= 16 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if hashed && !file.ends_with(".html") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// The page shown at `/` by a build without the UI.
pub const NO_UI_PAGE: &str = "<!doctype html>
<html lang=\"en\"><head><meta charset=\"utf-8\"><title>aud serve</title></head>
<body>
<h1>aud serve: this build has no web UI</h1>
<p>aud was built without trunk, so the web UI is not embedded. The read-only JSON API works:
<a href=\"/api/plans\">/api/plans</a>, <a href=\"/api/index\">/api/index</a>.</p>
<p>To get the UI, run <code>./scripts/setup.sh</code> (it installs trunk and wasm-bindgen-cli)
in aud's source tree, then rebuild aud: <code>cargo build --release --bin aud</code>.</p>
</body></html>
";

/// What `aud serve` prints on stderr at start when the build has no UI.
pub const NO_UI_MESSAGE: &str = "aud serve: this build has no web UI (trunk was not installed \
     when aud was built); the JSON API is served under /api/. To get the UI, run \
     ./scripts/setup.sh in aud's source tree and rebuild aud.";

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    const UI: Table = &[
        ("index.html", b"<!doctype html>ui".as_slice()),
        ("aud-web-0123456789abcdef.js", b"js".as_slice()),
        ("aud-web-0123456789abcdef_bg.wasm", b"\0asm".as_slice()),
        ("style-fedcba9876543210.css", b"css".as_slice()),
        ("snippets/x/inline0.js", b"inline".as_slice()),
        ("favicon.ico", b"ico".as_slice()),
    ];

    fn file(path: &str) -> Asset {
        match resolve(UI, path) {
            Served::File(asset) => asset,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn files_are_found_by_exact_path_with_their_type_and_cache_policy() {
        let index = file("/index.html");
        assert_eq!(index.body, b"<!doctype html>ui");
        assert_eq!(index.content_type, "text/html; charset=utf-8");
        assert_eq!(index.cache_control, "no-cache");
        let wasm = file("/aud-web-0123456789abcdef_bg.wasm");
        assert_eq!(wasm.content_type, "application/wasm");
        assert_eq!(wasm.cache_control, "public, max-age=31536000, immutable");
        let js = file("/aud-web-0123456789abcdef.js");
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        assert_eq!(js.cache_control, "public, max-age=31536000, immutable");
        let css = file("/style-fedcba9876543210.css");
        assert_eq!(css.content_type, "text/css; charset=utf-8");
        assert_eq!(file("/snippets/x/inline0.js").body, b"inline");
        assert_eq!(file("/favicon.ico").cache_control, "no-cache");
    }

    #[test]
    fn client_routes_serve_the_index_and_nothing_else_does() {
        for route in ["/", "/plans/1", "/plans/12/tasks/3", "/playground"] {
            assert_eq!(file(route).body, b"<!doctype html>ui", "{route}");
            assert_eq!(file(route).cache_control, "no-cache");
        }
        for unknown in [
            "",
            "/plans",
            "/plans/",
            "/plans/x",
            "/plans/1/",
            "/plans/1/tasks",
            "/plans/1/tasks/x",
            "/plans/-1",
            "/playground/",
            "/nope",
            "/index.htm",
            "index.html",
            "//index.html",
        ] {
            assert_eq!(resolve(UI, unknown), Served::NotFound, "{unknown:?}");
        }
    }

    #[test]
    fn no_spelling_of_a_parent_directory_leaves_the_table() {
        for attack in [
            "/../Cargo.toml",
            "/../../etc/passwd",
            "/%2e%2e/Cargo.toml",
            "/%2e%2e%2fCargo.toml",
            "/..%2fCargo.toml",
            "/%252e%252e/Cargo.toml",
            "/..\\Cargo.toml",
            "/\\..\\Cargo.toml",
            "/snippets/../index.html",
            "/snippets/x/../x/inline0.js",
            "/./index.html",
            "/index.html%00",
            "/index.html\0",
            "/etc/passwd",
            "//etc/passwd",
            "/C:/Windows/win.ini",
        ] {
            assert_eq!(resolve(UI, attack), Served::NotFound, "{attack:?}");
        }
    }

    #[test]
    fn a_build_without_the_ui_says_so_on_its_pages() {
        assert_eq!(resolve(&[], "/"), Served::NoUi);
        assert_eq!(resolve(&[], "/plans/1/tasks/2"), Served::NoUi);
        assert_eq!(resolve(&[], "/index.html"), Served::NoUi);
        assert_eq!(resolve(&[], "/app.js"), Served::NotFound);
        assert!(NO_UI_PAGE.contains("./scripts/setup.sh"));
    }
}

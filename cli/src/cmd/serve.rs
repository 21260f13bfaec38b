//! `aud serve`: the web UI and a read-only JSON API of the plans and the index, on localhost.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};

use anyhow::{Context as _, bail};

use crate::exit::Outcome;
use crate::output::print_text;
use crate::root::Context;
use crate::serve::{AppState, HostGuard, Prepared, assets};

/// The port `aud serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8717;

/// Arguments of `aud serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// The address to listen on. Anything but a loopback address (127.0.0.1, ::1) makes your
    /// plans and code readable from the network.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDRESS")]
    pub host: String,
    /// Open the UI in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// Runs `aud serve` until Ctrl-C or SIGTERM.
pub fn run(ctx: &Context, args: Args) -> anyhow::Result<Outcome> {
    let ip = parse_host(&args.host)?;
    let listener = bind(SocketAddr::new(ip, args.port))?;
    let address = listener
        .local_addr()
        .context("cannot read the address listened on")?;
    if !ip.is_loopback() {
        eprintln!(
            "warning: aud serve listens on {ip}: anyone who can reach this machine on port {} \
             can read your plans and code",
            address.port()
        );
    }
    let assets = assets::embedded();
    if assets.is_empty() {
        eprintln!("{}", assets::NO_UI_MESSAGE);
    }
    // The root as the file system resolves it, for checking that files read stay inside.
    let root = ctx
        .root
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", ctx.root.display()))?;
    // Signals are handled from here on: a SIGTERM right after the address line stops cleanly.
    let server = Prepared::new(listener)?;
    let url = format!("http://{address}/");
    // Exactly one line on stdout: scripts and tests read the address from it.
    print_text(&format!("aud serve: {url}\n"))?;
    if args.open
        && let Err(e) = open::that_detached(&url)
    {
        eprintln!("warning: cannot open a browser ({e}); open {url} yourself");
    }
    let state = AppState {
        ctx: Context { root },
        assets,
    };
    server.run(state, HostGuard::for_address(ip))?;
    eprintln!("aud serve: stopped");
    Ok(Outcome::Success)
}

/// `--host`: an IP address, or `localhost`.
fn parse_host(host: &str) -> anyhow::Result<IpAddr> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().map_err(|_| {
        anyhow::anyhow!(
            "--host {host}: not an IP address (use 127.0.0.1, ::1, or 0.0.0.0 for every address)"
        )
    })
}

/// Listens on `address`, saying what to do when that is impossible.
fn bind(address: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address).or_else(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => bail!(
            "port {} is in use; pass --port (0 picks a free port)",
            address.port()
        ),
        std::io::ErrorKind::PermissionDenied => bail!(
            "cannot listen on {address}: permission denied (ports below 1024 need privileges); \
             pass --port"
        ),
        std::io::ErrorKind::AddrNotAvailable => bail!(
            "cannot listen on {address}: {} is not an address of this machine; pass --host",
            address.ip()
        ),
        _ => Err(e).with_context(|| format!("cannot listen on {address}")),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly.
mod tests {
    use super::*;

    #[test]
    fn hosts_are_ip_addresses_or_localhost() {
        assert_eq!(parse_host("localhost").unwrap().to_string(), "127.0.0.1");
        assert_eq!(parse_host("::1").unwrap().to_string(), "::1");
        assert_eq!(parse_host("[::1]").unwrap().to_string(), "::1");
        assert_eq!(parse_host("0.0.0.0").unwrap().to_string(), "0.0.0.0");
        let err = parse_host("example.com").unwrap_err();
        assert!(err.to_string().contains("not an IP address"), "{err}");
    }

    #[test]
    fn a_port_in_use_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let err = bind(taken.local_addr().unwrap()).unwrap_err();
        let port = taken.local_addr().unwrap().port();
        assert_eq!(
            err.to_string(),
            format!("port {port} is in use; pass --port (0 picks a free port)")
        );
    }
}

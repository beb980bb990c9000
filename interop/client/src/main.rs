//! `cohort-interop-client --port N`: serves the working group's `MLSClient` gRPC service on
//! cohort, on 127.0.0.1:N (loopback only).
#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

const USAGE: &str = "\
cohort-interop-client: the MLS working group's gRPC interop client (mls_client.proto) on cohort

USAGE:
    cohort-interop-client --port N

Listens on 127.0.0.1:N only (0 picks a free port) and prints where it listens.
";

fn main() -> ExitCode {
    let port = match parse(std::env::args().skip(1)) {
        Ok(Some(port)) => port,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("error: {err}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let listener = match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => listener,
            Err(err) => {
                eprintln!("error: cannot listen on {address}: {err}");
                return ExitCode::FAILURE;
            }
        };
        let local = listener.local_addr().unwrap_or(address);
        println!("cohort-interop-client listening on {local}");
        match cohort_interop_client::server::serve(listener).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("error: server failed: {err}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The port from `--port N` / `--port=N`; `Ok(None)` asks for the usage text.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<u16>, String> {
    let mut port = None;
    while let Some(arg) = args.next() {
        let value = match arg.split_once('=') {
            Some(("--port", value)) => value.to_owned(),
            _ if arg == "--port" => args.next().ok_or("--port needs a value")?,
            _ if arg == "-h" || arg == "--help" => return Ok(None),
            _ => return Err(format!("unexpected argument {arg:?}")),
        };
        port = Some(
            value
                .parse::<u16>()
                .map_err(|_| format!("not a port number: {value:?}"))?,
        );
    }
    port.map(Some)
        .ok_or_else(|| "--port is required".to_owned())
}

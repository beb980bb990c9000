//! Generates the gRPC code of the working group's `mls_client.proto` (kept at
//! `interop/mls_client.proto`), with `protoc` from the `protoc-bin-vendored` crate so that a build
//! needs only the Rust toolchain.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../mls_client.proto";
    println!("cargo:rerun-if-changed={proto}");
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_with_config(config, &[proto], &[".."])?;
    Ok(())
}

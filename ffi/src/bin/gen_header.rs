//! Writes `include/grove.h` from the crate sources with cbindgen used as a library, so no
//! `cargo install cbindgen` is needed.
//!
//! Usage: `cargo run -p grove-ffi --features gen-header --bin grove-gen-header -- OUTPUT`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(output) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: grove-gen-header OUTPUT.h");
        return ExitCode::from(2);
    };
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("grove-gen-header: reading cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => {
            bindings.write_to_file(&output);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("grove-gen-header: {e}");
            ExitCode::FAILURE
        }
    }
}

//! The `selvedge` command line, built inside the end-to-end package so its tests can run
//! the real host as a child process (`CARGO_BIN_EXE_*` only names a package's own binaries)
//! and kill it with SIGKILL. Same code as `host/src/main.rs`.

use std::process::ExitCode;

use clap::Parser;
use selvedge::cli::Cli;
use selvedge::exit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli.init_logging();
    match cli.run() {
        Ok(code) => exit::code(code),
        Err(err) => {
            eprintln!("error: {err}");
            exit::code(err.code)
        }
    }
}

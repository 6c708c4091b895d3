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

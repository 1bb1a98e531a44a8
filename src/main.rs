use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = perfgate::cli::Cli::parse();
    std::process::ExitCode::from(perfgate::app::main(cli) as u8)
}

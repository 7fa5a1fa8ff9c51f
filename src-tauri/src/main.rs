// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    // The bundled engine (trellis_server::run) logs through `tracing`: the binary installs the
    // one subscriber (stderr, RUST_LOG, default info); library code never does.
    trellis_server::logging::init(trellis_server::logging::LogFormat::Text);
    match trellis_app::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trellis-app: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

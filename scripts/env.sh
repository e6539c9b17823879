# Sourced by the scripts: puts the pinned wasm-opt on PATH for cargo-leptos.
export PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

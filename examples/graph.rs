//! The quickstart's wiring, seen as the container sees it: the
//! `describe()` table, and the graph as Graphviz DOT, Mermaid and (when
//! Graphviz's `dot` is installed) SVG; then the quickstart's captive
//! registration, drawn on the same graph.
//!
//! Run it with `cargo run --example graph [-- <output dir>]` (default
//! `target/graph`). The README's picture, `docs/graph.svg`, is the
//! `graph.svg` it writes.

#[path = "wiring/quickstart.rs"]
#[allow(dead_code)]
mod wiring;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use wiring::{UserRepo, wiring};

/// The quickstart's bug: a singleton that holds a per-request session
/// through a repository.
struct AuditHelper {
    _repo: Arc<UserRepo>,
}

/// Writes `name.dot` and `name.mmd` into `dir`, and `name.svg` if `dot` runs.
fn write(dir: &Path, name: &str, dot: &str, mermaid: &str) -> std::io::Result<()> {
    std::fs::write(dir.join(format!("{name}.dot")), dot)?;
    std::fs::write(dir.join(format!("{name}.mmd")), mermaid)?;
    let svg = dir.join(format!("{name}.svg"));
    match Command::new("dot")
        .arg("-Tsvg")
        .arg(dir.join(format!("{name}.dot")))
        .arg("-o")
        .arg(&svg)
        .status()
    {
        Ok(s) if s.success() => println!("wrote {}", svg.display()),
        Ok(s) => println!("`dot` failed ({s}); {name}.dot and {name}.mmd are written"),
        Err(_) => println!("Graphviz's `dot` is not installed: no {name}.svg"),
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/graph".to_owned()),
    );
    std::fs::create_dir_all(&dir)?;

    // The valid wiring: the table, and the picture.
    let builder = wiring();
    let description = builder.build()?.describe();
    println!("{description}\n");
    let diagram = description.graph();
    write(&dir, "graph", &diagram.to_dot(), &diagram.to_mermaid())?;

    // The captive registration, drawn with its problem: the path in red.
    let mut broken = wiring();
    broken.singleton(|_repo: Arc<UserRepo>| AuditHelper { _repo });
    let err = broken
        .build()
        .expect_err("the quickstart's captive registration");
    let description = broken.describe();
    let diagram = description.graph().with_problems(&err);
    write(&dir, "captive", &diagram.to_dot(), &diagram.to_mermaid())?;

    // What one service reaches (as `build_for::<UserRepo>()` would build).
    let only = description.graph().reachable_from::<UserRepo>();
    println!(
        "\nwhat UserRepo reaches, as Mermaid:\n{}",
        only.to_mermaid()
    );
    Ok(())
}

//! Write the seeds of each fuzz target (`babillard_fuzz::seeds`) and the
//! inputs kept as regressions into `DIR/TARGET/`:
//! `cargo run --manifest-path fuzz/Cargo.toml --no-default-features --example seed -- DIR [TARGET]`.
//! scripts/fuzz runs it before fuzzing.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: seed DIR [TARGET]");
        std::process::exit(2);
    };
    let only = args.next();
    for t in babillard_fuzz::TARGETS {
        if only.as_deref().is_some_and(|o| o != t.name) {
            continue;
        }
        let out = dir.join(t.name);
        std::fs::create_dir_all(&out)?;
        let mut n = 0;
        for (name, bytes) in babillard_fuzz::seeds(t.name)
            .into_iter()
            .chain(babillard_fuzz::regressions(t.name))
        {
            std::fs::write(out.join(format!("seed-{name}")), bytes)?;
            n += 1;
        }
        println!("{}: {n} seeds in {}", t.name, out.display());
    }
    Ok(())
}

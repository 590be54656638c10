//! The apps under test: `pusher-examples`' `axum_app` and `actix_app` binaries, found in the
//! target directory and profile this driver was built in.
//!
//! Another package's binaries are not given to a test as `CARGO_BIN_EXE_*`, so the driver looks
//! for them itself: beside its own executable (`<target dir>/[<triple>/]<profile>/deps/e2e-*`),
//! which follows `CARGO_TARGET_DIR`, `--target-dir`, `--target` and `--profile`/`--release`.
//! `cargo test --workspace` builds them there. When one is missing, or older than a source file
//! it was built from (cargo's dep-info file beside it lists them; without one, the files under
//! [`FALLBACK_SOURCES`]), the driver builds them with `cargo build -p pusher-examples --bins`
//! into the same directory and profile, saying so.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The example binaries the suite runs, in order.
pub(crate) const APPS: [&str; 2] = ["axum_app", "actix_app"];

/// Where cargo put this driver: what `cargo build` needs to put the apps beside it.
#[derive(Debug)]
struct Build {
    /// `<target dir>/[<triple>/]<profile dir>`, holding the binaries.
    profile_dir: PathBuf,
    /// The target directory (`CARGO_TARGET_DIR`).
    target_dir: PathBuf,
    /// The `--target` triple, when the driver was built for one.
    triple: Option<OsString>,
    /// The cargo profile (`debug` is the directory of `dev`).
    profile: String,
}

impl Build {
    /// Reads it off this executable's path.
    fn locate() -> Result<Self, String> {
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot tell where this test executable is: {e}"))?;
        let shape = || {
            format!(
                "{} is not where cargo puts a test (<target dir>/<profile>/deps/)",
                exe.display()
            )
        };
        let deps = exe.parent().ok_or_else(shape)?;
        if deps.file_name().is_none_or(|name| name != "deps") {
            return Err(shape());
        }
        let profile_dir = deps.parent().ok_or_else(shape)?;
        let above = profile_dir.parent().ok_or_else(shape)?;
        let profile = match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") => "dev".to_owned(),
            Some(name) => name.to_owned(),
            None => return Err(shape()),
        };
        // Cargo marks the root of a target directory with CACHEDIR.TAG; a directory between it
        // and the profile's is a `--target` triple.
        let (target_dir, triple) = match above.parent() {
            Some(root)
                if !above.join("CACHEDIR.TAG").is_file() && root.join("CACHEDIR.TAG").is_file() =>
            {
                (root.to_owned(), above.file_name().map(ToOwned::to_owned))
            }
            _ => (above.to_owned(), None),
        };
        Ok(Self {
            profile_dir: profile_dir.to_owned(),
            target_dir,
            triple,
            profile,
        })
    }

    /// The binary `name` in this build.
    fn binary(&self, name: &str) -> PathBuf {
        self.profile_dir
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }

    /// Why the binary `name` needs building, if it does.
    fn needs_build(&self, name: &str, workspace: &Path) -> Option<String> {
        let binary = self.binary(name);
        let Some(built) = modified(&binary) else {
            return Some(format!("{} does not exist", binary.display()));
        };
        // `<profile dir>/<name>.d`: `<binary>: <source> <source> …`, spaces in paths escaped.
        let sources = match std::fs::read_to_string(self.profile_dir.join(format!("{name}.d"))) {
            // Relative paths (`build.dep-info-basedir`) are taken from the workspace root.
            Ok(dep_info) => dep_info
                .lines()
                .next()
                .and_then(|line| line.split_once(": "))
                .map(|(_, sources)| dep_info_paths(sources))
                .unwrap_or_default()
                .into_iter()
                .map(|source| workspace.join(source))
                .collect(),
            // `cargo test` writes no dep-info file for the binaries it builds for tests: the
            // sources of the apps and of the workspace crates they use, then.
            Err(_) => {
                let mut files = Vec::new();
                for dir in FALLBACK_SOURCES {
                    files_under(&workspace.join(dir), &mut files);
                }
                files
            }
        };
        sources
            .into_iter()
            .find(|source| modified(source).is_none_or(|time| time > built))
            .map(|source| format!("{} is newer than {}", source.display(), binary.display()))
    }

    /// `cargo build -p pusher-examples --bins` into this target directory and profile.
    fn build_apps(&self, workspace: &Path) -> Result<(), String> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(&cargo);
        command
            .current_dir(workspace)
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .args(["build", "-p", "pusher-examples", "--bins", "--profile"])
            .arg(&self.profile);
        if let Some(triple) = &self.triple {
            command.arg("--target").arg(triple);
        }
        let shown = format!(
            "CARGO_TARGET_DIR={} cargo build -p pusher-examples --bins --profile {}{}",
            self.target_dir.display(),
            self.profile,
            self.triple
                .as_ref()
                .map(|t| format!(" --target {}", t.to_string_lossy()))
                .unwrap_or_default()
        );
        println!("e2e: building the example apps: {shown}");
        let status = command
            .status()
            .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{shown}` failed ({status})"))
        }
    }
}

/// What the apps are compiled from, when cargo left no dep-info file beside them: folders and
/// files under the workspace root.
const FALLBACK_SOURCES: [&str; 7] = [
    "examples/src",
    "examples/chat",
    "pusher-client/src",
    "pusher-axum/src",
    "pusher-axum/README.md",
    "pusher-actix/src",
    "pusher-actix/README.md",
];

/// Every file under `path` (or `path` itself, if it is a file), into `files`.
fn files_under(path: &Path, files: &mut Vec<PathBuf>) {
    match std::fs::read_dir(path) {
        Ok(entries) => {
            for entry in entries.flatten() {
                files_under(&entry.path(), files);
            }
        }
        Err(_) if path.is_file() => files.push(path.to_owned()),
        Err(_) => {}
    }
}

/// When `path` was last modified, if it exists.
fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The paths of a dep-info line (whitespace-separated, `\` escaping the next character).
fn dep_info_paths(line: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    paths.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        paths.push(current);
    }
    paths
}

/// The apps' binaries, built first if any is missing or out of date.
pub(crate) fn binaries(workspace: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let build = Build::locate()?;
    let reasons: Vec<String> = APPS
        .iter()
        .filter_map(|name| build.needs_build(name, workspace))
        .collect();
    if !reasons.is_empty() {
        println!(
            "e2e: the example apps need building ({}); `cargo test --workspace` builds them \
             beside this test",
            reasons.join("; ")
        );
        build.build_apps(workspace)?;
    }
    APPS.iter()
        .map(|&name| {
            let binary = build.binary(name);
            if binary.is_file() {
                Ok((name, binary))
            } else {
                Err(format!("{} is missing after the build", binary.display()))
            }
        })
        .collect()
}

#!/usr/bin/env python3
"""Builds every README's Rust examples from that README's own dependency block, in a fresh crate.

Used by scripts/check-readmes (which documents it). For each README: the ```toml blocks holding
`[dependencies]` (and `[dev-dependencies]`) become the whole dependency list of a new crate under
target/readme-check/<name>, outside the workspace (its own empty `[workspace]`), with the
workspace's crates patched to their local paths (they are not published yet) and the workspace's
Cargo.lock copied in, so nothing newer is resolved. Each ```rust block becomes examples/lineN.rs
(N: the line of its opening fence) the way rustdoc builds a doctest: `ignore` and non-Rust blocks
are skipped, `no_run` and `should_panic` ones are compiled, `# ` hidden lines are kept without
their marker, a block without `fn main` is wrapped in one (returning a `Result` when it ends in
`(())`, as rustdoc does), and `#![allow(unused)]` is on, as in doctests. Then
`cargo check --examples` with the workspace's target dir, so dependencies are reused.

Exit status: 0 when every README passes, 1 otherwise; each failure names the README, the block
(its line) and cargo's message with the line mapped back into the README.
"""

import os
import re
import shutil
import subprocess
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READMES = [
    "README.md",
    "pusher-client/README.md",
    "pusher-axum/README.md",
    "pusher-actix/README.md",
    "pusher-testing/README.md",
]
# The workspace crates a README may depend on: patched to the local paths.
LOCAL_CRATES = {
    "pusher-client": "pusher-client",
    "pusher-axum": "pusher-axum",
    "pusher-actix": "pusher-actix",
    "pusher-testing": "pusher-testing",
}
# Fence attributes (rustdoc's) that still mean "compile this Rust code".
RUST_ATTRS = {"rust", "no_run", "should_panic", "edition2015", "edition2018", "edition2021",
              "edition2024", "test_harness"}


def blocks(path):
    """(fence line, info words, body lines) for each fenced block of a Markdown file."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)(```+|~~~+)(.*)$", lines[i])
        if not m:
            i += 1
            continue
        fence, info = m.group(2), m.group(3).strip()
        words = [w for w in re.split(r"[,\s]+", info) if w]
        start = i + 1  # 1-based line number of the opening fence
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        out.append((start, words, body))
        i += 1
    return out


def rust_source(body):
    """The doctest program of a ```rust block, one header line then one line per block line."""
    code = []
    for line in body:
        stripped = line.lstrip()
        if stripped == "#":
            code.append("")
        elif stripped.startswith("##"):
            code.append(line.replace("##", "#", 1))
        elif stripped.startswith("# "):
            code.append(line[: len(line) - len(stripped)] + stripped[2:])
        else:
            code.append(line)
    text = "\n".join(code)
    if re.search(r"\bfn\s+main\s*\(", text):
        return "#![allow(unused)]\n" + text + "\n"
    if text.rstrip().endswith("(())"):
        return ("#![allow(unused)] fn main() { fn _inner() -> Result<(), impl core::fmt::Debug> {\n"
                + text + "\n} _inner().unwrap() }\n")
    return "#![allow(unused)] fn main() {\n" + text + "\n}\n"


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(f"unsupported TOML value {v!r}")


def check(readme, target_dir, offline):
    """Returns a list of failure messages (empty when the README passes)."""
    path = os.path.join(ROOT, readme)
    name = readme.replace("/README.md", "").replace("README.md", "workspace").replace("/", "-")
    deps = {"dependencies": {}, "dev-dependencies": {}}
    examples = []
    failures = []
    for line, words, body in blocks(path):
        if words and words[0] == "toml":
            try:
                table = tomllib.loads("\n".join(body))
            except tomllib.TOMLDecodeError as e:
                if any(l.strip() == "[dependencies]" for l in body):
                    failures.append(f"{readme}:{line}: the toml block does not parse: {e}")
                continue
            for key in deps:
                deps[key].update(table.get(key, {}))
        elif words and words[0] == "rust" and all(w in RUST_ATTRS for w in words):
            examples.append((line, rust_source(body)))
    if not examples:
        return failures
    if not deps["dependencies"]:
        return failures + [f"{readme}: {len(examples)} rust block(s) but no ```toml block with [dependencies]"]
    for key, table in deps.items():
        for dep, spec in table.items():
            if isinstance(spec, dict) and ("path" in spec or "git" in spec):
                failures.append(f"{readme}: [{key}] {dep} is a path/git dependency; a user outside "
                                "this repository needs a version")
    if failures:
        return failures

    crate = os.path.join(target_dir, "readme-check", name)
    shutil.rmtree(crate, ignore_errors=True)
    os.makedirs(os.path.join(crate, "src"))
    os.makedirs(os.path.join(crate, "examples"))
    manifest = ['[package]', f'name = "readme-check-{name}"', 'version = "0.0.0"',
                'edition = "2024"', 'publish = false', '',
                '# Not part of the pusher-rs workspace above it.', '[workspace]', '']
    for key, table in deps.items():
        if table:
            manifest.append(f"[{key}]")
            manifest += [f"{dep} = {toml_value(spec)}" for dep, spec in table.items()]
            manifest.append("")
    manifest.append("[patch.crates-io]")
    manifest += [f'{c} = {{ path = {toml_value(os.path.join(ROOT, p))} }}'
                 for c, p in LOCAL_CRATES.items()]
    with open(os.path.join(crate, "Cargo.toml"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    with open(os.path.join(crate, "src", "lib.rs"), "w") as f:
        f.write("//! The README's examples are in examples/.\n")
    shutil.copy(os.path.join(ROOT, "Cargo.lock"), os.path.join(crate, "Cargo.lock"))
    for line, source in examples:
        with open(os.path.join(crate, "examples", f"line{line}.rs"), "w") as f:
            f.write(source)

    cmd = ["cargo", "check", "--quiet", "--examples", "--message-format=short"]
    if offline:
        cmd.append("--offline")
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    proc = subprocess.run(cmd, cwd=crate, env=env, capture_output=True, text=True)
    if proc.returncode == 0:
        return []
    # Map examples/lineN.rs:L:C back to README line N + L - 1 (one header line per example).
    def remap(m):
        fence, l = int(m.group(1)), int(m.group(2))
        return f"{readme}:{fence + l - 1}:{m.group(3)} (block at line {fence})"
    msgs = [re.sub(r"examples/line(\d+)\.rs:(\d+):(\d+)", remap, l)
            for l in (proc.stderr + proc.stdout).splitlines()
            if l.strip() and not l.startswith("warning")]
    bad = sorted({int(x) for x in re.findall(r"examples/line(\d+)\.rs", proc.stderr + proc.stdout)})
    head = f"{readme}: cargo check failed" + (
        f" (blocks at lines {', '.join(map(str, bad))})" if bad else "") + f" in {crate}:"
    return [head + "\n    " + "\n    ".join(msgs[:60])]


def main():
    target_dir = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    target_dir = os.path.abspath(target_dir)
    offline = os.environ.get("README_CHECK_OFFLINE", "1") != "0"
    readmes = sys.argv[1:] or READMES
    failed = 0
    for readme in readmes:
        failures = check(readme, target_dir, offline)
        if failures:
            failed += 1
            print(f"FAIL {readme}")
            for f in failures:
                print("  " + f)
        else:
            print(f"ok   {readme}")
    if failed:
        print(f"{failed} of {len(readmes)} README(s) failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

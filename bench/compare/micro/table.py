"""Prints the markdown comparison table of scripts/bench-micro.

Usage: table.py CRITERION_DIR NODE_JSON PYTHON_JSON
Ours: the median of criterion's samples (CRITERION_DIR/<group>/<bench>/new/estimates.json).
Peers: the median of their repeated runs, as printed by node.js and python.py."""
import json
import os
import sys

criterion_dir, node_path, python_path = sys.argv[1:4]
node = json.load(open(node_path))
python = json.load(open(python_path))


def ns(bench):
    path = os.path.join(criterion_dir, bench, "new", "estimates.json")
    try:
        return json.load(open(path))["median"]["point_estimate"]
    except OSError:
        return None


# operation, our bench, raw primitive benches (fresh key or plain, pre-keyed), target
ROWS = [
    ("private channel authorization", "private_auth", "auth/private",
     ("auth/raw_hmac_fresh_key", "auth/raw_hmac_keyed_state"), "auth"),
    ("presence channel authorization", "presence_auth", "auth/presence",
     ("auth/raw_hmac_fresh_key", "auth/raw_hmac_keyed_state"), None),
    ("encrypted channel authorization", "encrypted_auth", "auth/encrypted",
     ("auth/raw_hmac_fresh_key", "auth/raw_hmac_keyed_state"), None),
    ("user authentication", "user_auth", "auth/user",
     ("auth/raw_hmac_fresh_key", "auth/raw_hmac_keyed_state"), None),
    ("build + sign a trigger (no I/O)", "trigger_sign", "trigger/sign",
     ("trigger/raw_hmac_fresh_key", "trigger/raw_hmac_keyed_state"), "trigger"),
    ("webhook verify + parse, 1 KB", "webhook_1k", "webhook/verify_parse/1k",
     ("webhook/raw_hmac_fresh_key/1k", "webhook/raw_hmac_keyed_state/1k"), "webhook"),
    ("webhook verify + parse, 64 KB", "webhook_64k", "webhook/verify_parse/64k",
     ("webhook/raw_hmac_fresh_key/64k", "webhook/raw_hmac_keyed_state/64k"), None),
    ("encrypt 1 KB (derive key, seal, base64, JSON)", "encrypt_1k", "encryption/encrypt_1k",
     ("encryption/raw_seal_1k", None), "encrypt"),
]


def rate(x):
    if x is None:
        return "—"
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.1f} k"


def ratio(a, b):
    return f"{a / b:.1f}×" if a and b else "—"


print("| operation | ours ops/s | ours µs/op | Node ops/s | Python ops/s | ours ÷ Node "
      "| ours ÷ Python | time ÷ raw primitive | target | met? |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
for label, key, bench, (raw_fresh, raw_keyed), target in ROWS:
    t = ns(bench)
    ours = 1e9 / t if t else None
    n, p = node.get(key), python.get(key)
    fresh, keyed = ns(raw_fresh), ns(raw_keyed) if raw_keyed else None
    if raw_keyed:
        raw = f"{t / fresh:.2f} (fresh key) / {t / keyed:.2f} (keyed)" if t and fresh and keyed else "—"
    else:
        raw = f"{t / fresh:.2f} (one seal)" if t and fresh else "—"
    goal, met = "", ""
    if target == "auth" and t:
        goal = "≥ 5× Node; ≤ 2× one HMAC-SHA256"
        ok = n is not None and ours >= 5 * n and t <= 2 * fresh
        met = "yes" if ok else "no"
    elif target == "trigger" and t:
        goal = "≥ 3× Node; own work ≤ 2 µs"
        ok = n is not None and ours >= 3 * n and t <= 2000
        met = "yes" if ok else "no"
    elif target == "webhook" and t:
        goal = "≥ 3× Node"
        met = "yes" if n is not None and ours >= 3 * n else "no"
    elif target == "encrypt" and t:
        goal = "≥ 5× Python"
        met = "yes" if p is not None and ours >= 5 * p else "no"
    print(f"| {label} | {rate(ours)} | {t / 1e3 if t else float('nan'):.2f} | {rate(n)} | {rate(p)} "
          f"| {ratio(ours, n)} | {ratio(ours, p)} | {raw} | {goal} | {met} |")

"""The Python SDK (PyPI `pusher`, with PyNaCl) on the operations of pusher-client's micro
benchmarks (bench/benches/micro.rs). Run by scripts/bench-micro in its scratch
virtualenv; prints one JSON object: {operation: ops_per_second}."""
import hashlib
import hmac
import json
import os
import time

import pusher
from pusher.crypto import encrypt

APP_ID = "1234567"
KEY = "278d425bdf160c739803"
SECRET = "7ad3773142a6692b25b8"
MASTER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
SOCKET_ID = "1234.1234"
TRIGGER_DATA = '{"message":"hello world","user":"ada","id":42}'
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "0.5"))


def webhook_body(target, time_ms):
    """Byte-identical to webhook_body() in micro.rs but for time_ms (13 digits either way):
    validate_webhook refuses a time_ms more than 5 minutes away from now."""
    head = '{"time_ms":%d,"events":[' % time_ms
    events = []
    length = len(head) + 2
    i = 0
    while length < target:
        kind = i % 5
        if kind == 0:
            e = '{"name":"channel_occupied","channel":"private-room-%d"}' % i
        elif kind == 1:
            e = '{"name":"member_added","channel":"presence-room-%d","user_id":"user-%d"}' % (i, i)
        elif kind == 2:
            e = ('{"name":"client_event","channel":"private-chat-%d","event":"client-typing",'
                 '"data":"{\\"text\\":\\"hello there\\",\\"at\\":1700000000}",'
                 '"socket_id":"1234.5678","user_id":"user-%d"}') % (i, i)
        elif kind == 3:
            e = '{"name":"channel_vacated","channel":"private-room-%d"}' % i
        else:
            e = '{"name":"subscription_count","channel":"room-%d","subscription_count":%d}' % (i, i)
        length += len(e) + (1 if events else 0)
        events.append(e)
        i += 1
    return "%s%s]}" % (head, ",".join(events))


# This thread's CPU time (BENCH_CLOCK=wall: wall-clock time), as the Rust benches measure: on a
# shared machine, time other processes hold the core is left out.
now = time.perf_counter if os.environ.get("BENCH_CLOCK") == "wall" else time.thread_time


def measure(fn):
    """Median ops/s over REPEATS runs of at least SECONDS each."""
    for _ in range(200):
        fn()
    rates = []
    for _ in range(REPEATS):
        n = 0
        batch = 64
        start = now()
        elapsed = 0.0
        while elapsed < SECONDS:
            for _ in range(batch):
                fn()
            n += batch
            elapsed = now() - start
        rates.append(n / elapsed)
    rates.sort()
    return rates[len(rates) // 2]


client = pusher.Pusher(app_id=APP_ID, key=KEY, secret=SECRET, cluster="mt1", ssl=True,
                       encryption_master_key_base64=MASTER_KEY)
inner = client._pusher_client  # the REST client whose trigger is a RequestMethod
master_key = inner._encryption_master_key
member = {"user_id": "user-42", "user_info": {"name": "Ada Lovelace"}}
user = {"id": "user-42", "user_info": {"name": "Ada Lovelace"}}
plaintext = "a" * 1024


def trigger_sign():
    # make_request validates, serialises and signs (pusher.http.Request); .url builds the
    # signed URL. Only send_request (the network) is left out.
    request = inner.trigger.make_request("my-channel", "my-event", TRIGGER_DATA)
    return request.url, request.body


def webhook_case(size):
    body = webhook_body(size, int(time.time() * 1000))
    signature = hmac.new(SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()

    def run():
        data = client.validate_webhook(KEY, signature, body)
        if data is None:
            raise RuntimeError("webhook refused")
        return len(data["events"])

    return run


results = {
    "private_auth": measure(lambda: client.authenticate("private-foobar", SOCKET_ID)),
    "presence_auth": measure(lambda: client.authenticate("presence-foobar", SOCKET_ID, member)),
    "encrypted_auth": measure(lambda: client.authenticate("private-encrypted-foobar", SOCKET_ID)),
    "user_auth": measure(lambda: client.authenticate_user(SOCKET_ID, user)),
    "trigger_sign": measure(trigger_sign),
    "webhook_1k": measure(webhook_case(1024)),
    "webhook_64k": measure(webhook_case(64 * 1024)),
    # What the SDK's trigger does to a payload on an encrypted channel: derive the channel key,
    # seal with a fresh nonce (PyNaCl), base64, JSON.
    "encrypt_1k": measure(lambda: json.dumps(
        encrypt("private-encrypted-foobar", plaintext, master_key), ensure_ascii=False)),
}
print(json.dumps(results))

"""Load on quire serve (make bench-serve; docs/server.md, "Load").

Phase 1: CLIENTS threads for SECONDS ask for the cached stock report, each
in a loop: POST the run (answered from the cache) then GET its PDF, over
keep-alive connections; latency of every request, p50/p99, throughput,
errors. Phase 2: RENDERS threads at once each ask for a render no other
asked for; a refusal (503) is retried after its Retry-After; every run must
end done; the server's renders running and queued (from /metrics) must stay
within --workers and --queue; peak memory of the server and of the server
with its renders (VmRSS, from /proc) is sampled throughout.

usage: serve_load.py URL SERVER_PID WORKERS QUEUE [CLIENTS SECONDS RENDERS]
A benchmark: it prints figures, and exits 1 only on errors or a broken bound.
"""
import http.client
import json
import os
import sys
import threading
import time
from urllib.parse import urlparse

URL, PID, WORKERS, QUEUE = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
CLIENTS = int(sys.argv[5]) if len(sys.argv) > 5 else 50
SECONDS = float(sys.argv[6]) if len(sys.argv) > 6 else 30
RENDERS = int(sys.argv[7]) if len(sys.argv) > 7 else 20
u = urlparse(URL)
HOST, PORT = u.hostname, u.port
JSON = {"Content-Type": "application/json"}


def conn():
    return http.client.HTTPConnection(HOST, PORT, timeout=120)


def request(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    return r.status, dict(r.getheaders()), data


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100.0 * len(v)))] if v else float("nan")


failures = []

# ---- phase 1: the cached report
c = conn()
s, h, d = request(c, "POST", "/api/reports/monthly_segments/runs", b"{}", JSON)
run = json.loads(d)
deadline = time.time() + 600
while run["status"] in ("queued", "running") and time.time() < deadline:
    time.sleep(0.2)
    s, h, d = request(c, "GET", run["url"])
    run = json.loads(d)
if run["status"] != "done":
    sys.exit("the stock report did not render: %s" % run)
c.close()

lat, errors, lock = [], [0], threading.Lock()
stop_at = time.time() + SECONDS


def client():
    mine, err = [], 0
    c = conn()
    while time.time() < stop_at:
        for method, path, body in (("POST", "/api/reports/monthly_segments/runs", b"{}"),
                                   ("GET", "/api/runs/%d/report.pdf" % run["id"], None)):
            t = time.perf_counter()
            try:
                s, h, d = request(c, method, path, body, JSON if body else None)
                ok = s == 200 and (method == "GET" and d[:4] == b"%PDF" or
                                   method == "POST" and b'"cached": true' in d)
            except (OSError, http.client.HTTPException):
                ok = False
                c.close()
                c = conn()
            mine.append(time.perf_counter() - t)
            if not ok:
                err += 1
    c.close()
    with lock:
        lat.extend(mine)
        errors[0] += err


rss_server = [rss_kb(PID)]
threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
t0 = time.time()
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    rss_server.append(rss_kb(PID))
    time.sleep(0.2)
elapsed = time.time() - t0
print("cached: %d clients, %.0f s: %d requests, %.0f requests/s, p50 %.1f ms, p99 %.1f ms, "
      "max %.1f ms, %d errors; server peak RSS %.1f MB"
      % (CLIENTS, elapsed, len(lat), len(lat) / elapsed, pct(lat, 50) * 1e3, pct(lat, 99) * 1e3,
         max(lat) * 1e3 if lat else 0, errors[0], max(rss_server) / 1024.0), flush=True)
if errors[0]:
    failures.append("%d errors under the cached load" % errors[0])

# ---- phase 2: uncached renders at once
# Distinct (from, to) pairs within the sample's months (2023-05 to 2024-04).
ms = ["%d-%02d" % (2023 + (m - 1) // 12, (m - 1) % 12 + 1) for m in range(6, 17)]
months = [(a, b) for n in range(0, 3) for a, b in zip(ms, ms[n:])][:RENDERS]
done, rejected, bound, peaks = [], [0], [0, 0], [0, 0]
watching = [True]


def watch():
    c = conn()
    while watching[0]:
        tot = rss_kb(PID) + sum(rss_kb(p) for p in children(PID))
        peaks[0] = max(peaks[0], rss_kb(PID))
        peaks[1] = max(peaks[1], tot)
        try:
            s, h, d = request(c, "GET", "/metrics")
            for line in d.decode().splitlines():
                if line.startswith("quire_serve_renders_running "):
                    bound[0] = max(bound[0], int(line.split()[1]))
                if line.startswith("quire_serve_queue_length "):
                    bound[1] = max(bound[1], int(line.split()[1]))
        except (OSError, http.client.HTTPException):
            c.close()
            c = conn()
        time.sleep(0.05)
    c.close()


def render(span):
    c = conn()
    body = json.dumps({"parameters": {"from": span[0], "to": span[1]}}).encode()
    end = time.time() + 600
    while time.time() < end:
        s, h, d = request(c, "POST", "/api/reports/monthly_segments/runs", body, JSON)
        if s == 503:
            with lock:
                rejected[0] += 1
            time.sleep(float(h.get("Retry-After", "1")) / 5)
            continue
        r = json.loads(d)
        while r["status"] in ("queued", "running") and time.time() < end:
            time.sleep(0.2)
            s, h, d = request(c, "GET", r["url"])
            r = json.loads(d)
        with lock:
            done.append(r["status"])
        break
    c.close()


w = threading.Thread(target=watch)
w.start()
t0 = time.time()
threads = [threading.Thread(target=render, args=(m,)) for m in months]
for t in threads:
    t.start()
for t in threads:
    t.join()
watching[0] = False
w.join()
alive = os.path.exists("/proc/%d" % PID)
print("uncached: %d renders at once, %d workers, queue %d: %d done in %.1f s, %d refusals (503) "
      "retried; at most %d running and %d queued; peak RSS %.1f MB server, %.1f MB with its "
      "renders; server alive: %s"
      % (RENDERS, WORKERS, QUEUE, done.count("done"), time.time() - t0, rejected[0], bound[0],
         bound[1], peaks[0] / 1024.0, peaks[1] / 1024.0, "yes" if alive else "no"), flush=True)
if done.count("done") != RENDERS:
    failures.append("only %d of %d renders done: %s" % (done.count("done"), RENDERS, done))
if bound[0] > WORKERS or bound[1] > QUEUE:
    failures.append("the bounds were broken")
if not alive:
    failures.append("the server died")
for f in failures:
    print("bench-serve: " + f)
sys.exit(1 if failures else 0)

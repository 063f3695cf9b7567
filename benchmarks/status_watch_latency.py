#!/usr/bin/env python3
"""Latency of `maestro status --watch`: how long after the daemon's event the change is shown.

N containers (default 10) run on one ship (the local daemon). `maestro status --watch --format
json` runs with its output read here line by line, each line stamped when it arrives; side by
side, the reference `docker events` (the docker CLI reading the same /events stream) is stamped
the same way. The script then stops and starts containers from outside (`docker stop -t 0` /
`docker start`, ROUNDS times, one container at a time, 300 ms apart) and, for every `die` and
`start` event, takes the event's own timestamp (timeNano, the daemon's clock = this machine's)
and finds the first maestro line for that instance whose state matches (`exited` / `running`)
and the docker events line of that event. Printed: median, p95 and max latency of both, and
any change maestro never showed (a missed change fails the run).

Usage: status_watch_latency.py MAESTRO_BINARY [ROUNDS=20] [N=10]
Needs the test environment (tools/testenv up): MAESTRO_TESTENV_FILE or its default path.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time


def env_contract():
    path = os.environ.get("MAESTRO_TESTENV_FILE", "/var/tmp/maestro-testenv/testenv.env")
    values = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.rstrip("\n").split("=", 1)
                values[key] = value
    return values


def reader(proc, sink, lock):
    """Stamps every output line of `proc` with the time it arrived (ns)."""
    for raw in proc.stdout:
        now = time.time_ns()
        with lock:
            sink.append((now, raw.decode("utf-8", "replace").rstrip("\n")))


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    maestro = os.path.realpath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    if not (1 <= rounds <= 500 and 1 <= n <= 100):
        print("out of range: rounds 1..500, n 1..100", file=sys.stderr)
        return 2
    contract = env_contract()
    sock = contract.get("MAESTRO_TEST_DOCKER_SOCKET", "/var/run/docker.sock")
    image = contract.get("MAESTRO_TEST_IMAGE", "maestro-test/busybox:latest")
    os.environ["DOCKER_HOST"] = "unix://" + sock
    prefix = "watchbench-%d" % os.getpid()
    names = ["%s-%d" % (prefix, i) for i in range(1, n + 1)]
    work = tempfile.mkdtemp()
    env_path = os.path.join(work, "env.yaml")
    with open(env_path, "w") as f:
        f.write("__maestro: {schema: 2}\nname: watchbench\nships:\n")
        f.write("  local: {ip: 127.0.0.1, socket_path: %s}\n" % sock)
        f.write("services:\n  app:\n    image: %s\n    instances:\n" % image)
        for name in names:
            f.write("      %s: {ship: local, command: [sleep, '3600'], stop_timeout: 0}\n" % name)
    procs = []
    try:
        subprocess.run([maestro, "-f", env_path, "start"], check=True, stdout=subprocess.DEVNULL)
        lock = threading.Lock()
        m_lines, d_lines = [], []
        watch = subprocess.Popen([maestro, "-f", env_path, "status", "--watch", "--format", "json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        events = subprocess.Popen(
            ["docker", "events", "--format", "{{json .}}", "--filter", "type=container"] +
            [arg for name in names for arg in ("--filter", "container=" + name)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        procs = [watch, events]
        threads = [threading.Thread(target=reader, args=(watch, m_lines, lock), daemon=True),
                   threading.Thread(target=reader, args=(events, d_lines, lock), daemon=True)]
        for t in threads:
            t.start()
        deadline = time.time() + 20  # bounded: the watch shows every container first
        while time.time() < deadline:
            with lock:
                seen = {json.loads(l).get("instance") for _, l in m_lines if l.startswith("{")}
            if all(name in seen for name in names):
                break
            time.sleep(0.05)
        time.sleep(1)
        for r in range(rounds):
            name = names[r % n]
            subprocess.run(["docker", "stop", "-t", "0", name], check=True,
                           stdout=subprocess.DEVNULL)
            time.sleep(0.3)
            subprocess.run(["docker", "start", name], check=True, stdout=subprocess.DEVNULL)
            time.sleep(0.3)
        time.sleep(2)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["docker", "rm", "-f"] + names, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    # Every die/start event of our containers, with the daemon's timestamp and the docker CLI's
    # arrival time.
    wanted = []
    for arrived, line in d_lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        action = ev.get("Action") or ev.get("status")
        name = ev.get("Actor", {}).get("Attributes", {}).get("name")
        if action in ("die", "start") and name in names:
            wanted.append((int(ev["timeNano"]), arrived, name,
                           "exited" if action == "die" else "running"))
    maestro_rows = []
    for arrived, line in m_lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        maestro_rows.append((arrived, row.get("instance"), row.get("state")))
    m_lat, d_lat, missed = [], [], []
    for when, d_arrived, name, state in wanted:
        d_lat.append((d_arrived - when) / 1e6)
        shown = [a for a, inst, st in maestro_rows if inst == name and st == state and a >= when]
        if not shown:
            missed.append("%s %s" % (name, state))
            continue
        m_lat.append((min(shown) - when) / 1e6)
    print("| status --watch, %d containers, %d changes | median | p95 | max |" % (n, len(wanted)))
    print("|---|---|---|---|")
    for label, lat in (("maestro status --watch --format json", m_lat),
                       ("docker events (reference)", d_lat)):
        print("| %s | %.1f ms | %.1f ms | %.1f ms |" %
              (label, percentile(lat, 0.5), percentile(lat, 0.95), max(lat) if lat else 0))
    if missed or not wanted:
        print("maestro never showed %d changes: %s" % (len(missed), ", ".join(missed[:5])),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The OpenRosa benchmark's load generator: a separate process, standard library only (no
Django), started by `bench/openrosa_bench.py`. Reads its job as JSON on stdin, writes what it
measured as JSON on stdout.

Closed loop: `clients` threads, each with its own HTTP/1.1 connection (kept alive when the
server keeps it; http.client reconnects when the server closes it), POST one submission,
wait for the whole answer, POST the next. Every body gets a fresh instanceID (uuid4) in
place of the template's placeholder. Each thread first runs `warmup` seconds (their
requests are reported apart), then the measured window of `seconds`; a request in flight at
the end is waited for and reported with its completion time."""

import http.client
import json
import resource
import sys
import threading
import time
import uuid


class CountingConnection(http.client.HTTPConnection):
    connects = 0
    lock = threading.Lock()

    def connect(self) -> None:
        super().connect()
        with CountingConnection.lock:
            CountingConnection.connects += 1


def main() -> None:
    job = json.load(sys.stdin)
    with open(job["body_file"], "rb") as fh:
        template = fh.read()
    head, placeholder, tail = template.partition(job["placeholder"].encode())
    assert placeholder, "the body template has no instanceID placeholder"
    headers = {**job["headers"], "Content-Length": str(len(template))}
    clients, warmup, seconds = job["clients"], job["warmup"], job["seconds"]
    barrier = threading.Barrier(clients + 1)
    records: list[list] = []  # [started, finished, status], seconds from the window's start
    errors: dict[str, int] = {}
    lock = threading.Lock()
    zero = [0.0]

    def client() -> None:
        conn = CountingConnection(job["host"], job["port"], timeout=job.get("timeout", 120))
        mine: list[list] = []
        barrier.wait()
        start = zero[0]
        end = start + seconds
        while True:
            began = time.perf_counter()
            if began >= end:
                break
            body = head + str(uuid.uuid4()).encode() + tail
            status = 0
            try:
                conn.request("POST", job["path"], body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            mine.append([began - start, time.perf_counter() - start, status])
        conn.close()
        with lock:
            records.extend(mine)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    zero[0] = time.perf_counter() + warmup  # the measured window starts after the warm-up
    barrier.wait()
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump(
        {
            "records": records,
            "errors": errors,
            "connects": CountingConnection.connects,
            "cpu_s": usage.ru_utime + usage.ru_stime,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()

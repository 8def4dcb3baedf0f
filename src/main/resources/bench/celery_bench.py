"""Python's Celery 5.2 in `chervil bench --side-by-side`: the worker app and the Python clients.

As a Celery app (``celery -A celery_bench worker``) it serves the no-op under the name Chervil
registers it by, ``chervil.debug.noop``, so every worker drains the same messages.
As a script it is the one Python producer and the round-trip client:

    python3 celery_bench.py fill QUEUE N       N no-ops, persistent, ignore_result; prints JSON
    python3 celery_bench.py roundtrip QUEUE K [WARM]
                                               K sequential calls with .get() over rpc://, after
                                               WARM untimed ones sent at once, then 20 in turn

Environment: BENCH_BROKER (amqp URL).
"""
import json
import os
import sys
import time

from celery import Celery

NOOP = "chervil.debug.noop"
ROUND_TRIP_WARM_UP = 20

app = Celery("celery_bench", broker=os.environ["BENCH_BROKER"], backend="rpc://")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name=NOOP)
def noop():
    return None


def fill(queue, n):
    """What a Python app does to send work it does not wait for: send_task, ignore_result."""
    start = time.monotonic()
    with app.producer_or_acquire() as producer:
        for _ in range(n):
            app.send_task(NOOP, queue=queue, ignore_result=True, producer=producer)
        # A synchronous call on the same channel returns only after the broker has taken every
        # publish before it; without it, an exit under flow control lost up to 2% of the fill.
        producer.channel.queue_declare(queue=queue, passive=True)
    return {"sent": n, "seconds": time.monotonic() - start}


def roundtrip(queue, k, warm=0):
    """K calls one after another, each waited for, as a request handler would; ms each.

    First WARM calls are sent at once and then waited for: a JVM worker compiles its reply path
    on them, which the drain (ignore_result) never runs. Then 20 in turn, not timed either: the
    reply queue's declaration, the first connections.
    """
    pending = [app.send_task(NOOP, queue=queue) for _ in range(warm)]
    for result in pending:
        result.get(timeout=60)
    for _ in range(ROUND_TRIP_WARM_UP):
        app.send_task(NOOP, queue=queue).get(timeout=30)
    millis = []
    for _ in range(k):
        start = time.perf_counter()
        app.send_task(NOOP, queue=queue).get(timeout=30)
        millis.append((time.perf_counter() - start) * 1000.0)
    return {"millis": millis}


def main(argv):
    command, queue, counts = argv[1], argv[2], [int(a) for a in argv[3:]]
    result = {"fill": fill, "roundtrip": roundtrip}[command](queue, *counts)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

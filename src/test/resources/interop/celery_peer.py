"""Python's Celery 5.2 as the peer of Chervil's interoperability tests.

As a Celery app (``celery -A celery_peer worker``) it serves proj.tasks.* for Java clients.
As a script (``python3 celery_peer.py <scenario>``) it is a Celery client that sends to a Java
worker and prints one JSON line with what it saw; the Java test asserts on that line.

Environment: PEER_BROKER (amqp:// or redis:// URL), PEER_VISIBILITY_TIMEOUT (seconds, Redis only), PEER_BACKEND (rpc:// or redis://...), PEER_QUEUE (the queue
the other side consumes).
"""
import datetime
import json
import os
import sys
import time

from celery import Celery, chain, chord, group
from celery.result import AsyncResult

QUEUE = os.environ.get("PEER_QUEUE", "celery")

app = Celery("celery_peer", broker=os.environ["PEER_BROKER"],
             backend=os.environ.get("PEER_BACKEND", "rpc://"))
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_default_queue=QUEUE,
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
)
if os.environ.get("PEER_VISIBILITY_TIMEOUT"):
    # kombu's Redis transport option; every worker on one Redis must use the same value.
    app.conf.broker_transport_options = {
        "visibility_timeout": float(os.environ["PEER_VISIBILITY_TIMEOUT"])}


# ---- tasks a Python worker serves (Java -> Python) ----

@app.task(name="proj.tasks.add")
def add(x, y):
    return x + y


@app.task(name="proj.tasks.mul")
def mul(x, y):
    return x * y


@app.task(name="proj.tasks.tsum")
def tsum(values):
    return sum(values)


@app.task(name="proj.tasks.fail")
def fail(message):
    raise ValueError(message)


@app.task(name="proj.tasks.errback")
def errback(task_id):
    return "errback saw " + task_id


@app.task(name="proj.tasks.sleep")
def sleep(seconds):
    time.sleep(seconds)
    return seconds


@app.task(name="proj.tasks.echo")
def echo(value):
    return value


@app.task(name="proj.tasks.flaky", bind=True, max_retries=5)
def flaky(self, failures):
    """Retries (through the broker, as Celery does) until it has been retried `failures` times."""
    if self.request.retries < failures:
        raise self.retry(countdown=0.2)
    return "ok after %d retries" % self.request.retries


@app.task(name="proj.tasks.whoami", bind=True)
def whoami(self):
    """The request as this Python worker read it from a Java message."""
    r = self.request
    return {"id": r.id, "group": r.group, "group_index": r.group_index, "root_id": r.root_id,
            "parent_id": r.parent_id, "retries": r.retries, "lang": r.lang}


# ---- client scenarios (Python -> Java) ----

def send(name, args=(), **options):
    options.setdefault("queue", QUEUE)
    return app.send_task(name, args=args, **options)


def outcome(fn):
    """Runs fn; its value, or the exception it raised, by type name and message."""
    start = time.monotonic()
    try:
        value = fn()
        return {"result": value, "elapsed": time.monotonic() - start}
    except Exception as e:  # the exception rebuilt from the result is what is being tested
        return {"error_type": type(e).__name__, "error_message": str(e),
                "elapsed": time.monotonic() - start}


def get(result, timeout=30):
    return result.get(timeout=timeout)


def in_seconds(seconds):
    return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)


def scenario_thousand():
    results = [send("proj.tasks.add", (i, i)) for i in range(1000)]
    wrong = [i for i, r in enumerate(results) if get(r, 120) != 2 * i]
    return {"count": len(results), "wrong": len(wrong)}


# Values JSON can carry, with the edges a codec gets wrong: unicode outside the BMP, escapes,
# integers past 2**53 (exact in Python and Java's long), floats, nulls, empty containers.
ROUND_TRIP = {"text": "h\u00e9llo \u2603 \U0001F600 \"q\" \\ \n", "big": 2 ** 62 + 1, "neg": -7,
              "float": 0.1, "exp": 1.5e300, "none": None, "yes": True, "empty_list": [],
              "empty_dict": {}, "nested": [[1, [2, {"k": [None]}]], {"a": {"b": "c"}}]}


def echo_round_trip():
    got = get(send("proj.tasks.echo", (ROUND_TRIP,)))
    return {"same": got == ROUND_TRIP and type(got["big"]) is int, "got": got}


SCENARIOS = {
    "add": lambda: get(send("proj.tasks.add", (2, 3))),
    "kwargs": lambda: get(send("proj.tasks.add", kwargs={"x": 20, "y": 22})),
    "error": lambda: get(send("proj.java.fail", ("boom from java",))),
    "unknown": lambda: get(send("proj.java.nope", (1,))),
    "wrong_args": lambda: get(send("proj.tasks.add", (1,))),
    "countdown": lambda: get(send("proj.tasks.add", (1, 1), countdown=1.5)),
    "eta": lambda: get(send("proj.tasks.add", (2, 2), eta=in_seconds(1.5))),
    "expired": lambda: get(send("proj.tasks.add", (3, 3), expires=in_seconds(-60))),
    "echo": echo_round_trip,
    "none": lambda: get(send("proj.tasks.echo", (None,))),
    "retry": lambda: get(send("proj.java.flaky", (2,))),
    "retries_header": lambda: get(send("proj.java.flaky", (1,), retries=2)),
    "soft_limit": lambda: get(send("proj.java.sleep", (10,), soft_time_limit=0.5)),
    "hard_limit": lambda: get(send("proj.java.spin", (10,), time_limit=0.5)),
    "link": lambda: link(),
    "link_error": lambda: link_error(),
    "chain": lambda: get(chain(app.signature("proj.tasks.add", (2, 3), queue=QUEUE),
                               app.signature("proj.tasks.mul", (10,), queue=QUEUE)).apply_async()),
    "group": lambda: get(group(app.signature("proj.tasks.add", (i, i), queue=QUEUE)
                               for i in range(5)).apply_async()),
    "chord": lambda: get(chord([app.signature("proj.tasks.add", (i, i), queue=QUEUE) for i in range(4)])(
        app.signature("proj.tasks.tsum", queue=QUEUE))),
    "chord_error": lambda: chord_error(),
    "broadcast_ping": lambda: app.control.broadcast("ping"),  # fanout, no reply wanted
    "send_event": lambda: send_event(),
    "hang": lambda: time.sleep(300),  # for the harness's own test: its timeout must hold
}


def send_event():
    with app.connection_for_write() as conn:
        app.events.Dispatcher(conn).send("worker-heartbeat", freq=2.0)
    return "sent"


def link():
    callback = app.signature("proj.tasks.mul", (10,), queue=QUEUE)
    callback.freeze()
    first = send("proj.tasks.add", (2, 3), link=callback)
    return {"first": get(first), "callback": get(AsyncResult(callback.id, app=app))}


def link_error():
    on_error = app.signature("proj.tasks.errback", queue=QUEUE)
    on_error.freeze()
    failing = send("proj.java.fail", ("boom",), link_error=on_error)
    try:
        get(failing)
    except Exception:
        pass
    return {"failed_id": failing.id, "errback": get(AsyncResult(on_error.id, app=app))}


def chord_error():
    body = chord([app.signature("proj.tasks.add", (1, 1), queue=QUEUE),
                  app.signature("proj.java.fail", ("boom",), queue=QUEUE)])(
        app.signature("proj.tasks.tsum", queue=QUEUE))
    # The body's own state: body.get() would re-raise the failed member's error first (Celery
    # checks the parents), so read the body by id.
    return get(AsyncResult(body.id, app=app))


def main(name):
    if name == "thousand":
        line = scenario_thousand()
    else:
        line = outcome(SCENARIOS[name])
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

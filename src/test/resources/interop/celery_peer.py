"""Python's Celery 5.2 as the peer of Chervil's interoperability tests.

As a Celery app (``celery -A celery_peer worker``) it serves proj.tasks.* for Java clients.
As a script (``python3 celery_peer.py <scenario>``) it is a Celery client that sends to a Java
worker and prints one JSON line with what it saw; the Java test asserts on that line.

Environment: PEER_BROKER (amqp:// or redis:// URL), PEER_VISIBILITY_TIMEOUT (seconds, Redis only), PEER_BACKEND (rpc:// or redis://...), PEER_QUEUE (the queue
the other side consumes), PEER_QUEUE_TYPE (quorum: PEER_QUEUE is declared
``Queue(name, queue_arguments={'x-queue-type': 'quorum'})``), PEER_MAX_PRIORITY (declare
PEER_QUEUE as Celery's RabbitMQ priority recipe does: task_queues with
queue_arguments={'x-max-priority': N}).
"""
import datetime
import json
import os
import sys
import time

from celery import Celery, chain, chord, group
from celery.result import AsyncResult
from kombu import Exchange, Queue

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
QUEUE_TYPE = os.environ.get("PEER_QUEUE_TYPE")
if QUEUE_TYPE:
    # Declared by the client on its first send and by the worker, as a Python app does it.
    app.conf.task_queues = [Queue(QUEUE, Exchange(QUEUE), routing_key=QUEUE,
                                  queue_arguments={"x-queue-type": QUEUE_TYPE})]
if QUEUE_TYPE == "quorum":
    # Celery 5.5's worker_detect_quorum_queues, backported: 5.2 sets QoS with global=True on
    # RabbitMQ >= 3.3 (worker/consumer/tasks.py, the only reader of this property), which a quorum
    # queue refuses (540 NOT_IMPLEMENTED, the connection closes). 5.5 uses per-consumer QoS there.
    import kombu.connection
    kombu.connection.Connection.qos_semantics_matches_spec = property(lambda self: True)
if os.environ.get("PEER_VISIBILITY_TIMEOUT"):
    # kombu's Redis transport option; every worker on one Redis must use the same value.
    app.conf.broker_transport_options = {
        "visibility_timeout": float(os.environ["PEER_VISIBILITY_TIMEOUT"])}
if os.environ.get("PEER_MAX_PRIORITY"):
    # Celery's "RabbitMQ Message Priorities" recipe, as the docs give it.
    app.conf.task_queues = [Queue(QUEUE, Exchange(QUEUE), routing_key=QUEUE, queue_arguments={
        "x-max-priority": int(os.environ["PEER_MAX_PRIORITY"])})]


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


@app.task(name="proj.tasks.delivery", bind=True)
def delivery(self):
    """The delivery as this Python worker received it: priority is the AMQP property."""
    info = self.request.delivery_info or {}
    return {"priority": info.get("priority"), "routing_key": info.get("routing_key")}


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


# ---- drop-in scenarios (issue 13): what a Python app does in its first hour ----

def none_args():
    # A None result handed on to a chain's next step (it used to break the chain).
    chained = get(chain(app.signature("proj.tasks.echo", (None,), queue=QUEUE),
                        app.signature("chervil.debug.echo", queue=QUEUE)).apply_async())
    return [get(send("chervil.debug.echo", (None,))), get(send("chervil.debug.echo", (1, None))),
            chained]


def compressed():
    return {c: get(send("proj.tasks.add", (2, 3), compression=c))
            for c in ("gzip", "zlib", "bzip2", "lzma")}


def non_finite():
    import math
    got = get(send("chervil.debug.echo", (float("nan"), float("inf"), float("-inf"))))
    return [math.isnan(got[0]), got[1] == float("inf"), got[2] == float("-inf")]


def frozen(name, args=(), **options):
    s = app.signature(name, args, queue=QUEUE, **options)
    s.freeze()
    return s


def builtins():
    from celery.canvas import chunks, xmap, xstarmap
    out = {}
    out["starmap"] = get(xstarmap(app.signature("proj.tasks.add"), [(1, 2), (3, 4)], app=app)
                         .apply_async(queue=QUEUE))
    out["map"] = get(xmap(app.signature("proj.tasks.echo"), [1, "two"], app=app)
                     .apply_async(queue=QUEUE))
    out["chunks"] = get(chunks(app.signature("proj.tasks.add"), [(1, 1), (2, 2), (3, 3)], 2,
                               app=app).apply_async(queue=QUEUE))
    out["chunks_task"] = get(send("celery.chunks", kwargs={
        "task": app.signature("proj.tasks.add"), "it": [(1, 1), (2, 2), (3, 3)], "n": 2}))
    out["accumulate"] = get(send("celery.accumulate", (1, 2, 3), kwargs={"index": 1}))
    out["backend_cleanup"] = get(send("celery.backend_cleanup"))
    out["chain_to_group"] = get(chain(app.signature("proj.tasks.add", (1, 1), queue=QUEUE),
                                      group(app.signature("proj.tasks.mul", (10,), queue=QUEUE),
                                            app.signature("proj.tasks.mul", (100,), queue=QUEUE)))
                                .apply_async())
    out["chain_to_chord"] = get(chain(app.signature("proj.tasks.add", (1, 1), queue=QUEUE),
                                      group(app.signature("proj.tasks.mul", (10,), queue=QUEUE),
                                            app.signature("proj.tasks.mul", (100,), queue=QUEUE)),
                                      app.signature("proj.tasks.tsum", queue=QUEUE))
                                .apply_async())
    a, b = frozen("proj.tasks.mul", (2,)), frozen("proj.tasks.mul", (3,))
    get(send("celery.group", kwargs={"tasks": [a, b], "result": None, "group_id": a.options.get(
        "group_id") or "g-" + a.id, "partial_args": [5]}))
    out["group_task"] = [get(AsyncResult(a.id, app=app)), get(AsyncResult(b.id, app=app))]
    out["chain_task"] = outcome(lambda: get(send("celery.chain")))
    return out


def errbacks():
    out = {}
    immutable = frozen("proj.tasks.errback", ("x",), immutable=True)
    failing = send("proj.java.fail", ("boom",), link_error=immutable)
    outcome(lambda: get(failing))
    out["immutable"] = get(AsyncResult(immutable.id, app=app))
    new_style = frozen("proj.java.on_error")
    failing = send("proj.java.fail", ("boom",), link_error=new_style)
    outcome(lambda: get(failing))
    out["new_style"] = get(AsyncResult(new_style.id, app=app))
    out["new_style_failed_id"] = failing.id
    # Not registered in the Java worker: sent the old way, to a queue the Java test reads.
    unknown = app.signature("proj.py.collect", ("extra",), queue=QUEUE + ".collect")
    failing = send("proj.java.fail", ("boom",), link_error=unknown)
    outcome(lambda: get(failing))
    out["unknown_failed_id"] = failing.id
    return out


def complex_chord():
    header = [group(app.signature("proj.tasks.add", (1, 1), queue=QUEUE),
                    app.signature("proj.tasks.add", (2, 2), queue=QUEUE)),
              chain(app.signature("proj.tasks.add", (3, 3), queue=QUEUE),
                    app.signature("proj.tasks.mul", (10,), queue=QUEUE)),
              app.signature("proj.tasks.add", (4, 4), queue=QUEUE)]
    return get(chord(header)(app.signature("proj.tasks.echo", queue=QUEUE)))


def extended():
    r = send("proj.tasks.add", (2, 3), kwargs={})
    value = get(r)
    meta = r._get_task_meta()
    ttl = app.backend.client.ttl(app.backend.get_key_for_task(r.id))
    return {"value": value, "name": r.name, "args": r.args, "kwargs": r.kwargs,
            "worker": meta.get("worker"), "retries": meta.get("retries"),
            "queue": meta.get("queue"), "ttl": ttl}


def refused():
    return {"pickle": outcome(lambda: get(send("proj.tasks.add", (1, 2), serializer="pickle"), 20))}


def protocol1():
    app.conf.task_protocol = 1  # before the first send: Celery caches the message format
    return outcome(lambda: get(send("proj.tasks.add", (1, 2)), 20))


def bounds():
    out = {"tiny_limit": outcome(lambda: get(send("proj.java.sleep", (0.5,), time_limit=1e-12)))}
    out["tiny_soft_limit"] = outcome(lambda: get(send("proj.java.sleep", (0.5,),
                                                      soft_time_limit=1e-12)))
    far = send("proj.tasks.add", (1, 1), eta=datetime.datetime(2400, 1, 1,
                                                                tzinfo=datetime.timezone.utc))
    out["negative_retries"] = outcome(lambda: get(send("proj.tasks.add", (1, 1), retries=-1), 20))
    out["after"] = [get(send("proj.tasks.add", (i, i))) for i in range(20)]
    out["far_state"] = far.state
    return out


def declare_queue():
    """Declares PEER_QUEUE as this app's task_queues say, before any worker consumes it."""
    with app.connection_for_write() as conn:
        app.amqp.queues[QUEUE](conn.default_channel).declare()
    return QUEUE


# Sent while the worker's one slot is busy: the order is all the broker's (x-max-priority).
BACKLOG_PRIORITIES = [1, 4, 9, 0, 6, 9, 2, 8, 3, 7, 5, 1]


def priority_backlog():
    """A backlog of mixed priorities, sent once a 2 s task holds the worker's only slot.

    The blocker is acked as it starts (STARTED is stored after the ack), so the worker's prefetch
    window of one is free and takes the first backlog message as it arrives; the rest wait in
    the queue. Each backlog task returns when it started (epoch microseconds), which gives the
    run order.
    """
    blocker = send("proj.java.sleep", (2.0,))
    deadline = time.monotonic() + 30
    while blocker.state == "PENDING":
        if time.monotonic() > deadline:
            raise TimeoutError("blocker never STARTED (is task_track_started on?)")
        time.sleep(0.02)
    blocker_state = blocker.state
    sent = [send("chervil.debug.now", priority=p) for p in BACKLOG_PRIORITIES]
    get(blocker)
    started = sorted((get(r), i) for i, r in enumerate(sent))
    return {"priorities": BACKLOG_PRIORITIES, "blocker_state": blocker_state,
            "run": [i for _, i in started]}


def chain_priority():
    """A chain whose second step, for a Python worker on PEER_PYTHON_QUEUE, has priority 7: the
    Java worker that ran the first step sends it on, and the Python worker reports what arrived."""
    return get(chain(app.signature("proj.tasks.add", (1, 1), queue=QUEUE),
                     app.signature("proj.tasks.delivery", immutable=True,
                                   queue=os.environ["PEER_PYTHON_QUEUE"], priority=7))
               .apply_async())


def big_string():
    value = "x" * 21_000_000
    return get(send("proj.tasks.echo", (value,)), 60) == value


SCENARIOS.update({
    "none_args": none_args,
    "compressed": compressed,
    "non_finite": non_finite,
    "builtins": builtins,
    "errbacks": errbacks,
    "complex_chord": complex_chord,
    "extended": extended,
    "unexpected_kwarg": lambda: get(send("chervil.debug.echo", (1,), kwargs={"k": 2})),
    "refused": refused,
    "protocol1": protocol1,
    "bounds": bounds,
    "big_string": big_string,
    "declare_queue": declare_queue,
    "priority_backlog": priority_backlog,
    "chain_priority": chain_priority,
})


def main(name):
    if name == "thousand":
        line = scenario_thousand()
    else:
        line = outcome(SCENARIOS[name])
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])

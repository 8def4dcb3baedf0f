"""Python's Celery 5.2 steering and watching a Chervil worker over remote control and events.

``python3 control_peer.py <scenario>`` runs one scenario against the node PEER_NODE (consuming
PEER_QUEUE) and prints one JSON line; the Java test asserts on it. As a Celery app
(``celery -A control_peer ...``) it gives the ``celery`` command line the same broker.

Environment: PEER_BROKER, PEER_BACKEND, PEER_QUEUE, PEER_NODE.
"""
import json
import os
import sys
import time

from celery import Celery

QUEUE = os.environ.get("PEER_QUEUE", "celery")
NODE = os.environ.get("PEER_NODE")

app = Celery("control_peer", broker=os.environ["PEER_BROKER"],
             backend=os.environ.get("PEER_BACKEND", "rpc://"))
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                task_default_queue=QUEUE, worker_hijack_root_logger=False)


def inspect():
    return app.control.inspect(destination=[NODE], timeout=5)


def wait_until(predicate, seconds=30, pause=0.2):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(pause)
    return None


def scenario_inspect():
    i = inspect()
    return {"ping": i.ping(), "stats": i.stats(), "registered": i.registered(),
            "active_queues": i.active_queues(), "revoked": i.revoked(), "conf": i.conf(),
            "active": i.active(), "reserved": i.reserved(), "scheduled": i.scheduled(),
            "unknown": app.control.broadcast("no_such_command", destination=[NODE], reply=True,
                                             timeout=5)}


def scenario_revoke_eta():
    r = app.send_task("proj.tasks.add", args=(1, 2), countdown=2)
    scheduled = wait_until(lambda: any(
        s["request"]["id"] == r.id for s in (inspect().scheduled() or {}).get(NODE, [])))
    reply = app.control.revoke(r.id, destination=[NODE], reply=True, timeout=5)
    r.get(timeout=30, propagate=False)
    revoked = inspect().revoked().get(NODE, [])
    return {"id": r.id, "seen_scheduled": bool(scheduled), "reply": reply, "state": r.state,
            "in_revoked": r.id in revoked}


def scenario_revoke_waiting():
    """A task received and waiting for the busy slot is revoked: it never runs (REVOKED)."""
    busy = app.send_task("proj.java.sleep", args=(1.5,))
    r = app.send_task("proj.tasks.add", args=(1, 2))
    reserved = wait_until(lambda: any(
        t["id"] == r.id for t in (inspect().reserved() or {}).get(NODE, [])))
    reply = app.control.revoke(r.id, destination=[NODE], reply=True, timeout=5)
    r.get(timeout=30, propagate=False)
    busy.get(timeout=30)
    return {"id": r.id, "seen_reserved": bool(reserved), "reply": reply, "state": r.state}


def scenario_revoke_before_arrival():
    """Revoked before it arrives: the worker drops it when the message comes (REVOKED)."""
    from uuid import uuid4
    task_id = str(uuid4())
    reply = app.control.revoke(task_id, destination=[NODE], reply=True, timeout=5)
    r = app.send_task("proj.tasks.add", args=(1, 2), task_id=task_id)
    r.get(timeout=30, propagate=False)
    return {"id": task_id, "reply": reply, "state": r.state}


def scenario_terminate():
    task = os.environ.get("PEER_TASK", "proj.java.spin")
    signal = os.environ.get("PEER_SIGNAL", "KILL")
    r = app.send_task(task, args=(60.0,))
    active = wait_until(lambda: any(
        t["id"] == r.id for t in (inspect().active() or {}).get(NODE, [])))
    started = time.time()
    reply = app.control.revoke(r.id, destination=[NODE], reply=True, timeout=10,
                               terminate=True, signal=signal)
    r.get(timeout=30, propagate=False)
    return {"id": r.id, "seen_active": bool(active), "reply": reply, "state": r.state,
            "took": time.time() - started}


def scenario_rate_limit():
    reply = app.control.rate_limit("proj.tasks.add", "60/m", destination=[NODE], reply=True,
                                   timeout=5)
    started = time.time()
    results = [app.send_task("proj.tasks.add", args=(i, i)) for i in range(3)]
    values = [r.get(timeout=30) for r in results]
    took = time.time() - started
    off = app.control.rate_limit("proj.tasks.add", "0", destination=[NODE], reply=True,
                                 timeout=5)
    return {"reply": reply, "values": values, "took": took, "off": off}


def scenario_events():
    """Enables task events, sends a task and records what app.events.Receiver sees."""
    seen = []
    sent = {}
    enable = app.control.enable_events(destination=[NODE], reply=True, timeout=5)
    with app.connection() as conn:
        recv = app.events.Receiver(conn, handlers={"*": None})

        def on_event(event):
            seen.append(event)
            if event.get("hostname") != NODE:
                return
            if not sent and event.get("type") == "worker-heartbeat":
                sent["r"] = app.send_task("proj.tasks.add", args=(2, 3))
            if sent and event.get("type") == "task-succeeded" \
                    and event.get("uuid") == sent["r"].id:
                recv.should_stop = True

        recv.handlers = {"*": on_event}
        try:
            recv.capture(limit=None, timeout=30, wakeup=False)
        except Exception:
            pass
    mine = [e for e in seen if e.get("hostname") == NODE]
    return {"enable": enable, "id": sent["r"].id if sent else None, "now": time.time(),
            "events": mine}


def scenario_pool_resize():
    """pool_grow by 2, then pool_shrink by 2 (back where it was), and what stats says each time."""
    before = inspect().stats()
    grow = app.control.pool_grow(2, destination=[NODE], reply=True, timeout=5)
    grown = inspect().stats()
    shrink = app.control.pool_shrink(2, destination=[NODE], reply=True, timeout=5)
    shrunk = inspect().stats()
    refused = app.control.pool_shrink(1000, destination=[NODE], reply=True, timeout=5)
    return {"before": before.get(NODE), "grow": grow, "grown": grown.get(NODE), "shrink": shrink,
            "shrunk": shrunk.get(NODE), "refused": refused}


def scenario_add():
    return {"result": app.send_task("proj.tasks.add", args=(2, 3)).get(timeout=30)}


def scenario_started():
    r = app.send_task("proj.java.sleep", args=(2.0,))
    state = wait_until(lambda: r.state == "STARTED" and r.state, seconds=20, pause=0.05)
    info = r.info
    r.get(timeout=30)
    return {"state": state, "info": info, "final": r.state}


SCENARIOS = {name[len("scenario_"):]: fn for name, fn in globals().items()
             if name.startswith("scenario_")}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]](), default=str), flush=True)

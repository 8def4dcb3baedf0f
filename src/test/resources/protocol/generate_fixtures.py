# Regenerate with: /usr/bin/python3 src/test/resources/protocol/generate_fixtures.py (Debian python3-celery 5.2)
# Captures what Celery 5.2 itself would publish, for byte-level fixtures.
import json, sys
from datetime import datetime, timezone, timedelta
from celery import Celery
app = Celery('proj', broker='memory://')
now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
def dump(name, msg):
    headers, props, body, sent_event = msg
    body_bytes = json.dumps(body).encode()  # kombu's json serializer: json.dumps defaults
    out = {"headers": headers, "properties": {"content_type": "application/json", "content_encoding": "utf-8",
           "correlation_id": props.get("correlation_id"), "reply_to": props.get("reply_to")},
           "body": body_bytes.decode()}
    open(f"src/test/resources/protocol/{name}.json", "w").write(json.dumps(out, indent=2, default=str) + "\n")
dump("celery52-add", app.amqp.as_task_v2("1f7e4b4c-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "proj.tasks.add", args=(2, 3), kwargs={},
     reply_to="2c9a1f8e-reply", root_id=None, parent_id=None, origin="gen1@host"))
dump("celery52-full", app.amqp.as_task_v2("5d1c0e7a-9b8c-4d3e-a2f1-0e9d8c7b6a59", "proj.tasks.report",
     args=("q3", [1, 2.5, None]), kwargs={"fmt": "csv", "limit": 10},
     eta=now + timedelta(seconds=30), expires=now + timedelta(minutes=5), retries=2,
     time_limit=10, soft_time_limit=5, group_id="grp-1", group_index=0,
     root_id="root-1", parent_id="parent-1", origin="gen1@host",
     callbacks=[{"task": "proj.tasks.notify", "args": [], "kwargs": {}, "options": {}, "subtask_type": None, "immutable": False}],
     errbacks=None, chain=None, chord=None, ignore_result=False))

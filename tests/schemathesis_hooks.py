"""Schemathesis hooks for `./shop test` (loaded through SCHEMATHESIS_HOOKS).

In the stateful phase schemathesis plays a client working through the API, so each request there
gets a fresh Idempotency-Key, as a real client makes one per operation. Otherwise a key and body
the fuzzing phase already sent come back as that earlier answer (rightly: a replay is the first
answer), naming a product the fuzzing has since deleted, and the check that a created resource
can be read fails on the replay instead of on the API. The other phases keep the generated keys,
hostile ones included.
"""

import uuid

import schemathesis
from schemathesis.generation.meta import TestPhase


@schemathesis.hook
def before_call(context, case, kwargs):
    stateful = case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL
    if stateful and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = uuid.uuid4().hex

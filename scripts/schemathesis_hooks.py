"""Schemathesis hooks for `make api-test`.

`cargo lambda watch` turns a JSON request body that is not valid UTF-8 into a 500
of its own before any function runs. API Gateway instead hands such a body to the
function base64-encoded, and callbill answers 400 invalid_json (checked in
tests/tests/call_records.rs). Such bodies would test the emulator, not callbill,
so they are not sent.
"""

import schemathesis


@schemathesis.hook
def filter_body(ctx, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True

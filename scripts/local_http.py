"""HTTP for the scripts that drive the local stack (chaos.py, local-answers.py,
local-emulator.py): a request and its answer, never an exception."""

import email.message
import http.client
import json
import urllib.error
import urllib.request


def send(method, url, body=None, timeout=30):
    """Sends `body` (bytes as they are, anything else as JSON) as application/json.

    Answers (status, headers, body); status is None when no answer came in time
    or the connection dropped, and body then says why.
    """
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()
    except (OSError, http.client.HTTPException) as error:
        return None, email.message.Message(), repr(error).encode()

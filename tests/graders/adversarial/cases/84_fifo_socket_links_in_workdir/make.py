"""Case 84_fifo_socket_links_in_workdir: honest answers, then special files left in the work
folder for whoever copies it: a FIFO (a reader blocks on it forever), a listening Unix socket,
symlinks to the gradebook and the source notebook (perfect guesses), a symlink loop. None of them
is opened, followed or copied back; the submission is graded normally.
"""


def make(kit):
    """Honest answers, then a student cell before the circle tests: the kernel survives it."""
    kit.honest()
    kit.insert(
        "test_circle_area",
        r"""import os, socket
os.mkfifo('results.fifo')
os.mkfifo('pwned_fifo.ipynb')
SOCK = socket.socket(socket.AF_UNIX)
SOCK.bind('listen.sock')
SOCK.listen()
os.symlink({gradebook!r}, 'gradebook_link.db')
os.symlink({source_nb!r}, 'source_link.ipynb')
os.symlink('loop_b', 'loop_a')
os.symlink('loop_a', 'loop_b')
""".format(**kit.ctx),
    )
    kit.write()

"""llama.cpp's own OpenAI-compatible server (through xllamacpp) serving a GGUF file, until killed.

    python -m tests.teachers.llama_server MODEL.gguf PORT N_CTX
"""

from __future__ import annotations

import signal
import sys
import threading


def main() -> None:
    import xllamacpp

    model, port, n_ctx = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = 2
    params.n_ctx = n_ctx * params.n_parallel  # every slot gets the whole window
    for cpu in (params.cpuparams, params.cpuparams_batch):
        cpu.n_threads = 2
        cpu.poll = 0
    params.warmup = False
    params.verbosity = -1
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    del server


if __name__ == "__main__":
    main()

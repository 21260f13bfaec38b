#!/usr/bin/env python3
"""Runs a wasm32-wasip1 module under wasmtime (the `wasmtime` Python package).

The command line mirrors `wasmtime run`:

    scripts/wasi-run.py [--dir HOST::GUEST]... [--env NAME=VALUE]... MODULE [ARGS]...

Only the directories given with --dir are visible to the module; stdin, stdout and stderr are
inherited. The exit code is the module's (`proc_exit`), or 2 when the module traps.
"""

import sys

import wasmtime


def main(argv):
    dirs, env = [], []
    while argv and argv[0].startswith("--"):
        flag = argv.pop(0)
        if not argv:
            sys.exit(f"wasi-run: {flag} needs a value")
        value = argv.pop(0)
        if flag == "--dir":
            host, sep, guest = value.partition("::")
            dirs.append((host, guest if sep else host))
        elif flag == "--env":
            name, _, val = value.partition("=")
            env.append((name, val))
        else:
            sys.exit(f"wasi-run: unknown option {flag}")
    if not argv:
        sys.exit(__doc__)
    module_path, args = argv[0], argv[1:]

    config = wasmtime.Config()
    config.cache = True
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, module_path)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = [module_path.rsplit("/", 1)[-1], *args]
    wasi.env = env
    for host, guest in dirs:
        wasi.preopen_dir(host, guest)
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    try:
        start(store)
    except wasmtime.ExitTrap as e:
        return e.code
    except wasmtime.Trap as e:
        print(f"wasi-run: the module trapped: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Background work: the periodic sweeps of every domain, run in-process or by `kepu worker`."""

"""The per-line stages on a Dask cluster, with the results of one machine.

::

    partitions.py  files cut into byte ranges at line ends, read through fsspec (no Dask)
    tasks.py       what a worker does with one partition (no Dask)
    session.py     connect or start a cluster; ordered maps and tree reductions (the only Dask import)
    jobs.py        preprocess, vocabulary, TF-IDF and BPE counts on a session

Nothing here is imported unless ``--scheduler`` or ``--dask-workers`` is given (a test checks
that a plain run never loads Dask).  See ``docs/cluster.md``.
"""

"""Past one machine: partitioned Parquet datasets and partition tasks on Dask.

- :mod:`risklens.scale.dataset`: folders of ``part-NNNNN.parquet`` files with a ``_manifest.json`` (any tool reads
  them; we read other tools' hive-partitioned folders), gathered into one file for a file ``--out``.
- :mod:`risklens.scale.simulate`: simulated cohorts of any size, the same rows whatever the partitioning.
- :mod:`risklens.scale.cluster`: ``--scheduler`` (``local[:N]`` or ``tcp://host:port``), running tasks, progress.
- :mod:`risklens.scale.shipping`: models sent to workers as their files' bytes, loaded with the hash check.
- :mod:`risklens.scale.rows`: row selection from files and folders, chunked into tasks.
- :mod:`risklens.scale.jobs`: explanations and risk scores as partitioned datasets.
- :mod:`risklens.scale.protocol`: the evaluation protocol with its explanations computed on a cluster.

Without a scheduler everything runs in this process; with one, results are identical.
"""

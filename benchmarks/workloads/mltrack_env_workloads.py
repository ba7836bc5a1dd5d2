"""jupyter_mltrack's environment and Spark workloads (issue 17; jupyter_mltrack only).

- ``env_cached_start``: what a second project run (or ``models serve --env-manager``) pays
  before its code starts, once the environment is built: resolving the spec to the cached
  environment, plus starting its interpreter up to ``import jupyter_mltrack``.
- ``spark_udf_rows``: rows per second scored by ``pyfunc.spark_udf`` on ``local[2]``, against
  in-process ``predict`` of the same rows from a pandas DataFrame.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from _common import elapsed_ms, emit, median, progress

#: The project the environment is built for: a requirements file with one small package.
REQUIREMENTS = "six==1.16.0\n"
STARTS = 5


def _start(python: str, env: dict[str, str] | None) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-c", "import jupyter_mltrack"], env=env, check=True)
    return elapsed_ms(start)


def env_cached_start(size: int) -> None:
    """Build once (untimed), then time ``size`` cached resolves + interpreter starts."""
    from jupyter_mltrack.environments import EnvSpec, resolve_environment

    project = Path("project")
    project.mkdir()
    (project / "requirements.txt").write_text(REQUIREMENTS)
    root = Path("envs").absolute()
    progress("building the virtualenv once (untimed)")
    start = time.perf_counter()
    resolve_environment(EnvSpec.from_project_dir(project), "virtualenv", env_root=root)
    build_s = elapsed_ms(start) / 1000
    resolves, starts, totals, cpu = [], [], [], []
    for _ in range(size):
        cpu_start, start = time.process_time(), time.perf_counter()
        env = resolve_environment(EnvSpec.from_project_dir(project), "virtualenv", env_root=root)
        resolves.append(elapsed_ms(start))
        cpu.append((time.process_time() - cpu_start) * 1000)
        starts.append(_start(env.python, env.environ()))
        totals.append(resolves[-1] + starts[-1])
    local = median([_start(sys.executable, dict(os.environ)) for _ in range(size)])
    emit(
        median(totals),
        resolve_ms=median(resolves),
        resolve_cpu_ms=median(cpu),
        start_in_env_ms=median(starts),
        start_local_ms=local,
        first_build_s=round(build_s, 1),
    )


def spark_udf_rows(size: int) -> None:
    """Score ``size`` rows with spark_udf on local[2]; compare with in-process predict."""
    import numpy as np
    import pandas as pd
    from pyspark.sql import SparkSession
    from sklearn.linear_model import LogisticRegression

    import jupyter_mltrack.pyfunc as mlt_pyfunc
    import jupyter_mltrack.sklearn as mlt_sklearn
    from jupyter_mltrack.models import infer_signature

    rng = np.random.default_rng(0)
    columns = ["a", "b", "c", "d"]
    train = pd.DataFrame(rng.random((1000, 4)), columns=columns)
    model = LogisticRegression().fit(train, (train["a"] + train["b"] > 1).astype(int))
    mlt_sklearn.save_model(model, "model", signature=infer_signature(train, model.predict(train)))
    rows = pd.DataFrame(rng.random((size, 4)), columns=columns)
    loaded = mlt_pyfunc.load_model("model")
    start = time.perf_counter()
    loaded.predict(rows)
    in_process = size / (elapsed_ms(start) / 1000)
    os.environ.update(PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    progress("starting Spark local[2]")
    start = time.perf_counter()
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    spark_start_s = elapsed_ms(start) / 1000
    frame = (
        spark.range(size, numPartitions=2)
        .selectExpr(*[f"rand({i}) as {c}" for i, c in enumerate(columns)])
        .cache()
    )
    frame.count()  # materialise the input first: only scoring is timed
    udf = mlt_pyfunc.spark_udf(spark, "model", result_type="long")
    frame.select(udf().alias("p")).limit(10).collect()  # warm the Python workers
    cpu_start, start = time.process_time(), time.perf_counter()
    frame.select(udf().alias("p")).write.format("noop").mode("overwrite").save()
    seconds = elapsed_ms(start) / 1000
    spark.stop()
    emit(
        size / seconds,
        in_process_rows_per_s=in_process,
        spark_vs_in_process=(size / seconds) / in_process,
        spark_seconds=seconds,
        driver_cpu_s=time.process_time() - cpu_start,
        spark_start_s=spark_start_s,
    )

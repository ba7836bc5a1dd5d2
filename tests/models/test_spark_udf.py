"""``pyfunc.spark_udf`` on a real local Spark session (local[2], the machine's Java 17).

Spark takes tens of seconds to start, so the module shares one session and keeps to a few
tests, each scoring several columns in one job.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from jupyter_mltrack import pyfunc
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.models import infer_signature
from jupyter_mltrack.sklearn import save_model

pyspark = pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (none on PATH)"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),  # pyspark on pandas 3
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from pyspark.sql import SparkSession

    # The Python workers must be this interpreter (with jupyter_mltrack and sklearn), and
    # Spark binds to the loopback interface only (no other address is reachable here).
    saved = {name: os.environ.get(name) for name in ("PYSPARK_PYTHON", "SPARK_LOCAL_IP")}
    os.environ.update(PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("mltrack-spark-udf-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "25")
        .getOrCreate()
    )
    yield session
    session.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def iris_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, pd.DataFrame]:
    features, target = load_iris(return_X_y=True, as_frame=True)
    model = LogisticRegression(max_iter=500).fit(features, target)
    path = tmp_path_factory.mktemp("spark-models") / "iris"
    save_model(model, path, signature=infer_signature(features, model.predict(features)))
    return path, model, features


def test_scores_like_in_process_predict(spark: Any, iris_model: tuple[Path, Any, Any]) -> None:
    from pyspark.sql import functions as F

    path, model, features = iris_model
    expected = pyfunc.load_model(path).predict(features)
    assert (expected == model.predict(features)).all()
    frame = spark.createDataFrame(features)
    udf = pyfunc.spark_udf(spark, str(path), result_type="long")
    renamed = [F.col(c).alias(f"c{i}") for i, c in enumerate(features.columns)]
    scored = frame.select(
        udf().alias("by_signature"),  # no columns: the signature's input names
        udf(*reversed(features.columns)).alias("by_name"),  # any order: matched by name
        udf(*renamed).alias("by_position"),  # other names: matched by position, as MLflow
    ).toPandas()
    for column in scored.columns:
        np.testing.assert_array_equal(scored[column].to_numpy(), expected)


def two_columns() -> pyfunc.PythonModel:
    """A model predicting two columns (defined in a function: cloudpickle stores it by value,
    so Spark's Python workers need not import this test module)."""

    class TwoColumns(pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            return pd.DataFrame({"score": model_input["x"] * 2.0, "label": model_input["x"] > 1})

    return TwoColumns()


def test_result_types(spark: Any, tmp_path: Path) -> None:
    features, target = load_diabetes(return_X_y=True, as_frame=True)
    features = features.iloc[:120, :3]
    regression = LinearRegression().fit(features, target.iloc[:120])
    save_model(regression, tmp_path / "reg", signature=infer_signature(features))
    pyfunc.save_model(tmp_path / "two", python_model=two_columns())
    frame = spark.createDataFrame(features.assign(x=np.arange(120.0)))
    expected = regression.predict(features)
    udf = {t: pyfunc.spark_udf(spark, str(tmp_path / "reg"), t) for t in ("double", "float")}
    as_array = pyfunc.spark_udf(spark, str(tmp_path / "reg"), "array<double>")
    as_struct = pyfunc.spark_udf(spark, tmp_path / "two", "struct<score: double, label: string>")
    as_string = pyfunc.spark_udf(spark, tmp_path / "two", "string")
    scored = frame.select(
        udf["double"]().alias("double"),
        udf["float"]().alias("float"),
        as_array().alias("array"),
        as_struct("x").alias("struct"),
        as_string("x").alias("string"),
    ).toPandas()
    np.testing.assert_allclose(scored["double"], expected)
    assert scored["float"].dtype == np.float32
    np.testing.assert_allclose(scored["float"], expected, rtol=1e-6)
    assert {len(v) for v in scored["array"]} == {1}  # a 1-D prediction: one element per row
    np.testing.assert_allclose([v[0] for v in scored["array"]], expected)
    assert scored["struct"][3]["score"] == 6.0 and scored["struct"][3]["label"] == "True"
    assert list(scored["string"][:3]) == ["0.0", "2.0", "4.0"]


def test_signature_is_enforced(spark: Any, iris_model: tuple[Path, Any, Any]) -> None:
    path, _, features = iris_model
    frame = spark.createDataFrame(features.iloc[:10]).withColumnRenamed(
        "petal width (cm)", "petal_width"
    )
    udf = pyfunc.spark_udf(spark, str(path), result_type="long")
    with pytest.raises(Exception, match=r"petal width \(cm\)"):  # a required column is missing
        frame.select(udf(*frame.columns[:3]).alias("p")).collect()
    with pytest.raises(InvalidParameterError, match="is not supported"):
        pyfunc.spark_udf(spark, str(path), result_type="map<string, double>")
    with pytest.raises(InvalidParameterError, match="env_manager='local' only"):
        pyfunc.spark_udf(spark, str(path), env_manager="virtualenv")


def counts_loads(log: str) -> pyfunc.PythonModel:
    """A model that appends one line per load and per batch to ``log``, to count them."""

    class CountsLoads(pyfunc.PythonModel):
        def load_context(self, context):  # type: ignore[no-untyped-def]
            with open(log, "a") as out:
                out.write(f"load {os.getpid()}\n")

        def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
            with open(log, "a") as out:
                out.write(f"batch {os.getpid()}\n")
            return model_input["x"] + 1.0

    return CountsLoads()


def test_model_loads_once_per_worker_not_per_batch(spark: Any, tmp_path: Path) -> None:
    log = tmp_path / "loads.log"
    pyfunc.save_model(tmp_path / "counting", python_model=counts_loads(str(log)))
    log.unlink(missing_ok=True)  # saving ran load_context once for the input example check
    udf = pyfunc.spark_udf(spark, str(tmp_path / "counting"))
    frame = spark.range(400).selectExpr("cast(id as double) as x").repartition(2)
    scored = frame.select(udf("x").alias("y")).toPandas()
    assert sorted(scored["y"]) == [float(i + 1) for i in range(400)]
    lines = [line.split() for line in log.read_text().splitlines()]
    batches = [pid for kind, pid in lines if kind == "batch"]
    loads = [pid for kind, pid in lines if kind == "load"]
    assert len(batches) >= 16  # 400 rows in batches of at most 25
    assert len(loads) == len(set(loads)) <= len(set(batches))  # one load per Python worker

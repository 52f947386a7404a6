"""The model inside the server: loading it with MLflow, and predicting for requests.

Requests are parsed exactly as MLflow's scoring server parses them; at most C of them run
inside the model at once (the others wait their turn), and SIGTERM drains the ones in flight.
MLflow is imported only when the model loads, so importing this module stays light.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.inspect import validate_mlmodel
from serving_panel.local.worker.capture import Log, ThreadLineWriter
from serving_panel.local.worker.exits import EXIT_APP_LOAD_ERROR, EXIT_MLFLOW_IMPORT_ERROR


def load_model(model_dir: Path, log: Log, captured: Sequence[ThreadLineWriter]) -> Any:
    """The loaded PyFuncModel, or the exit code when it cannot be loaded."""
    try:
        validate_mlmodel(model_dir)
    except ModelStoreError as error:
        log("ERROR", f"model failed to load: {type(error).__name__}: {error}")
        return EXIT_APP_LOAD_ERROR
    # The workspace runs offline; MLflow's usage telemetry has nothing to report from here.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
        import mlflow.pyfunc
        from mlflow.environment_variables import _MLFLOW_IS_IN_SERVING_ENVIRONMENT
        from mlflow.pyfunc import scoring_server  # noqa: F401 - fail here, not on a request
    except Exception as error:
        log.exception("mlflow cannot be imported", error)
        return EXIT_MLFLOW_IMPORT_ERROR
    finally:
        for writer in captured:
            writer.emit_pending()
    # What MLflow's scoring server sets: type-hinted models parse their input as in serving.
    os.environ[_MLFLOW_IS_IN_SERVING_ENVIRONMENT.name] = "true"

    log("INFO", f"loading model from {model_dir} with mlflow {mlflow.__version__}")
    started = time.perf_counter()
    try:
        model = mlflow.pyfunc.load_model(str(model_dir))
    except (Exception, SystemExit) as error:
        for writer in captured:
            writer.emit_pending()
        log.exception("model failed to load", error)
        return EXIT_APP_LOAD_ERROR
    for writer in captured:
        writer.emit_pending()
    log("INFO", f"model loaded in {time.perf_counter() - started:.2f} s")
    return model


class BadRequest(Exception):  # noqa: N818 - named for the response it becomes
    """The request cannot be served; the message is what the client is told."""


class ParsedRequest(NamedTuple):
    data: Any
    params: dict[str, Any] | None
    unwrapped: bool  # unified LLM input (messages/prompt/input): no "predictions" wrapper
    stream: bool


class Worker:
    """The loaded model and what requests share: the concurrency limit, the in-flight count
    that SIGTERM drains, and the writers that turn the model's prints into log lines."""

    def __init__(
        self,
        model: Any,
        name: str,
        concurrency: int,
        log: Log,
        captured: Sequence[ThreadLineWriter],
    ) -> None:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc import scoring_server
        from mlflow.utils.proto_json_utils import NumpyEncoder

        self.model = model
        self.name = name
        self.concurrency = concurrency
        self.log = log
        self.draining = False
        self._captured = captured
        self._slots = threading.Semaphore(concurrency)
        self._in_flight = 0
        self._idle = threading.Condition()
        self._scoring: Any = scoring_server
        self._mlflow_exception: type[Exception] = MlflowException
        self._json_encoder: type[json.JSONEncoder] = NumpyEncoder
        self._input_schema = model.metadata.get_input_schema()

    # Parsing and predicting ---------------------------------------------------------------

    def parse(self, body: bytes) -> ParsedRequest:
        """Parses a request body exactly as MLflow's scoring server does, plus `stream`.

        Fields outside MLflow's input formats (Databricks' `client_request_id`,
        `usage_context`, `extra_params`, ...) are ignored, as MLflow ignores them; a body with
        none of the input fields is refused with MLflow's own message.
        """
        try:
            payload = self._scoring._decode_json_input(body)
            stream = payload.pop("stream", False)
            if not isinstance(stream, bool):
                raise BadRequest(f"'stream' must be true or false, got {json.dumps(stream)}")
            parsed = self._scoring._parse_json_data(
                payload, self.model.metadata, self._input_schema
            )
        except BadRequest:
            raise
        except self._mlflow_exception as error:
            raise BadRequest(_mlflow_message(error)) from error
        except Exception as error:
            raise BadRequest(f"{type(error).__name__}: {error}") from error
        return ParsedRequest(parsed.data, parsed.params, parsed.is_unified_llm_input, stream)

    def predict(self, request: ParsedRequest) -> bytes:
        """The JSON response body for a non-streaming request."""
        with self.slot():
            raw = self.call_model(lambda: self.model.predict(request.data, params=request.params))
        output = io.StringIO()
        if request.unwrapped:
            self._scoring.unwrapped_predictions_to_json(raw, output)
        else:
            self._scoring.predictions_to_json(raw, output)
        return output.getvalue().encode("utf-8")

    def call_model(self, call: Callable[[], Any]) -> Any:
        """Runs model code; what it raises becomes a BadRequest with the text the client sees.

        MLflow's own errors (schema enforcement, predict_stream unsupported) keep their
        message; anything else is `<Type>: <message>`, its traceback logged as ERROR lines.
        """
        try:
            return call()
        except Exception as error:
            if not isinstance(error, self._mlflow_exception):
                self.log.exception("prediction failed", error)
            raise BadRequest(self.client_message(error)) from error

    def client_message(self, error: Exception) -> str:
        """MLflow's own message for its errors, `<Type>: <message>` for anything else."""
        if isinstance(error, self._mlflow_exception):
            return _mlflow_message(error)
        return f"{type(error).__name__}: {error}"

    def encode_chunk(self, chunk: Any) -> bytes:
        return json.dumps(chunk, cls=self._json_encoder).encode("utf-8")

    @contextmanager
    def slot(self) -> Iterator[None]:
        """One of the C places inside the model; waits for one instead of refusing."""
        with self._slots:
            try:
                yield
            finally:
                for writer in self._captured:
                    writer.emit_pending()

    # Draining -----------------------------------------------------------------------------

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def in_flight_count(self) -> int:
        with self._idle:
            return self._in_flight

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


def _mlflow_message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)

"""Configs ↔ running model servers: start an entity's worker, route traffic to a config, retire
the workers a config no longer uses, bring workers back after a restart, and write workers'
state changes back to the endpoints' served entities."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from serving_panel.local.models.errors import ModelStoreError
from serving_panel.local.models.registry import ModelStore
from serving_panel.local.serving import admission
from serving_panel.local.serving.metrics import ServingMetrics
from serving_panel.local.serving.router import Router, Target
from serving_panel.local.serving.states import WorkerKey, WorkerSpec
from serving_panel.local.serving.supervisor import Supervisor
from serving_panel.local.state.configs import is_stopped
from serving_panel.local.state.store import Endpoint, Store

log = logging.getLogger(__name__)


def worker_key(endpoint_id: str, config: Mapping[str, Any], entity: Mapping[str, Any]) -> WorkerKey:
    return WorkerKey(
        endpoint_id, entity["name"], int(entity.get("_built_in", config["config_version"]))
    )


class Deployment:
    def __init__(
        self,
        store: Store,
        models: ModelStore,
        supervisor: Supervisor,
        router: Router,
        metrics: ServingMetrics,
    ) -> None:
        self.store = store
        self.models = models
        self.supervisor = supervisor
        self.router = router
        self.metrics = metrics

    def spec(self, key: WorkerKey, entity: Mapping[str, Any]) -> WorkerSpec | None:
        """How to run the entity; None for external models (nothing runs locally)."""
        if "external_model" in entity:
            return None
        registered = self.models.resolve(entity["entity_name"], entity["entity_version"])
        endpoint = self.store.endpoint_by_id(key.endpoint_id)
        return WorkerSpec(
            endpoint_name=endpoint.name if endpoint is not None else "",
            key=key,
            model_dir=registered.path,
            workload_size=_size(entity),
            scale_to_zero=bool(entity.get("scale_to_zero_enabled", False)),
            environment=dict(entity.get("environment_vars", {})),
        )

    def start(
        self,
        endpoint_id: str,
        config: Mapping[str, Any],
        entities: Iterable[Mapping[str, Any]],
        *,
        recovering: bool = False,
    ) -> list[WorkerKey]:
        keys = []
        for entity in entities:
            key = worker_key(endpoint_id, config, entity)
            spec = self.spec(key, entity)
            if spec is not None:
                self.supervisor.start(spec, recovering=recovering)
                keys.append(key)
        return keys

    def activate(self, endpoint_id: str, config: Mapping[str, Any]) -> None:
        """Routes the endpoint's traffic to this config's workers, atomically."""
        entities = {e["name"]: e for e in config.get("served_entities", [])}
        targets = []
        for route in config["traffic_config"]["routes"]:
            entity = entities.get(route["served_entity_name"])
            if entity is None or "external_model" in entity:
                continue
            key = worker_key(endpoint_id, config, entity)
            targets.append(
                Target(
                    entity["name"],
                    key,
                    int(route["traffic_percentage"]),
                    admission.concurrency(entity),
                )
            )
        # Entities with no route (or 0%) can still be queried directly by name.
        routed = {t.entity for t in targets}
        for name, entity in entities.items():
            if name not in routed and "external_model" not in entity:
                key = worker_key(endpoint_id, config, entity)
                targets.append(Target(name, key, 0, admission.concurrency(entity)))
        self.router.set_routes(endpoint_id, targets)

    def retire(self, endpoint_id: str, keep: Iterable[WorkerKey]) -> None:
        """Drains and stops the endpoint's workers that the live config doesn't use."""
        kept = set(keep)
        for key in self.supervisor.worker_keys():
            if key.endpoint_id == endpoint_id and key not in kept:
                self.supervisor.stop(key)

    def unroute(self, endpoint_id: str, up_to_version: int) -> list[WorkerKey]:
        """The endpoint is stopping: no more routing to it; the keys of its model servers built
        in config versions up to `up_to_version` (a later start's are not its), for `stop`."""
        self.router.clear(endpoint_id)
        return [
            key
            for key in self.supervisor.worker_keys()
            if key.endpoint_id == endpoint_id and key.version <= up_to_version
        ]

    def stop(self, keys: Iterable[WorkerKey]) -> None:
        """Stops these model servers, each once its queries in flight end (up to the drain
        time); blocks until they have exited."""
        for key in keys:
            self.supervisor.stop(key)

    def remove(self, endpoint_id: str) -> None:
        """The endpoint is gone: no more routing; its workers stop in the background."""
        self.router.clear(endpoint_id)
        self.metrics.forget(endpoint_id)
        threading.Thread(
            target=self.supervisor.stop_endpoint, args=(endpoint_id,), daemon=True
        ).start()

    def restore(self) -> None:
        """After a start: the workers of every endpoint's current config, routed at once
        (requests wait for them to become healthy)."""
        for endpoint in self.store.list_endpoints():
            config = endpoint.config
            if not config or is_stopped(endpoint.attributes):
                continue
            try:
                self.start(endpoint.id, config, config["served_entities"], recovering=True)
            except ModelStoreError as error:
                log.error("can't restore %s: %s", endpoint.name, error)
                continue
            self.activate(endpoint.id, config)

    # Worker state → endpoint -------------------------------------------------------------

    def on_worker_state(self, key: WorkerKey, deployment: str, message: str) -> None:
        def change(endpoint: Endpoint) -> Endpoint | None:
            updated = False
            configs: dict[str, Any] = {}
            for field in ("config", "pending_config"):
                config = getattr(endpoint, field)
                if config is None:
                    continue
                entities = []
                for entity in config["served_entities"]:
                    if worker_key(key.endpoint_id, config, entity) == key and (
                        entity["state"]["deployment"] != "DEPLOYMENT_FAILED"
                        or deployment == "DEPLOYMENT_READY"
                    ):
                        entity = {
                            **entity,
                            "state": {
                                "deployment": deployment,
                                "deployment_state_message": message,
                            },
                        }
                        updated = True
                    entities.append(entity)
                configs[field] = {**config, "served_entities": entities}
            if not updated:
                return None
            return replace(endpoint, **configs)

        self.store.update_endpoint(key.endpoint_id, change)


def _size(entity: Mapping[str, Any]) -> str:
    """The workload size a model server runs with: the one given, else the smallest whose
    concurrency (4, 8, 16) covers max_provisioned_concurrency; Small for model units."""
    if "workload_size" in entity:
        return str(entity["workload_size"])
    wanted = entity.get("max_provisioned_concurrency") or entity.get("min_provisioned_concurrency")
    if isinstance(wanted, int) and wanted > 8:
        return "Large"
    if isinstance(wanted, int) and wanted > 4:
        return "Medium"
    return "Small"

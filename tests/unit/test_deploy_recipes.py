"""The deployment recipes (deploy/) checked offline against what the stack launcher runs:
the same environment, ports, probes, secrets from secrets, the migration step before the
replicas, and the load balancer's routing (scripts/lb.py). Kubernetes objects are validated
against the API's schemas (kubernetes-validate ships them; no cluster, no container runtime)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Dict, List

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils as kv_utils

from scripts.lb import SENDER_MAPS, compose_conf
from scripts.production import required_secrets
from scripts.stack import Ports, Stack

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KINDS = {"rasa": Ports().rasa, "actions": Ports().actions, "handoff": Ports().handoff}
# Set by the launcher for its own layout only: the image sets PYTHONPATH; uploads are local.
LAUNCHER_ONLY = {"PYTHONPATH", "WEB_UPLOAD_DIR"}
# Secrets beyond the production check's list that the services read.
MORE_SECRETS = {"CONSOLE_SECRET", "WECHAT_RELAY_SECRET", "APP_CALLBACK_SECRET"}
DB_URLS = {"TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL", "TRACKER_PASSWORD"}


@pytest.fixture(scope="module")
def launcher_env(tmp_path_factory, monkeypatch_module) -> Dict[str, str]:
    """What scripts.stack gives every process, beyond the caller's own environment."""
    for name in ("REDIS_URL", "TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL"):
        monkeypatch_module.delenv(name, raising=False)
    base = dict(__import__("os").environ)
    env = Stack(var=tmp_path_factory.mktemp("var")).build_env()
    return {k: v for k, v in env.items() if k not in base or base[k] != v}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def secrets() -> set:
    return set(required_secrets(ROOT / "credentials.yml")) | MORE_SECRETS


def env_file_keys() -> set:
    lines = (DEPLOY / "frontline.env.example").read_text(encoding="utf-8").splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def k8s_docs() -> List[dict]:
    docs = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def by_kind(kind: str) -> Dict[str, dict]:
    return {d["metadata"]["name"]: d for d in k8s_docs() if d["kind"] == kind}


# -- docker-compose ------------------------------------------------------------------------------
def test_compose_gives_every_replica_the_launchers_environment(compose, launcher_env):
    needed = set(launcher_env) - LAUNCHER_ONLY
    for name, service in compose["services"].items():
        kind = name.rsplit("-", 1)[0]
        if kind not in KINDS and name != "migrate":
            continue
        assert service["env_file"] == ["frontline.env"], name
        have = set(service["environment"]) | env_file_keys()
        assert needed <= have, (name, sorted(needed - have))
        # secrets come from the env file, never from the compose file itself
        assert not secrets() & set(service["environment"]), name
        assert service["environment"]["FRONTLINE_ENV"] == "production"
    assert secrets() <= env_file_keys()


def test_compose_runs_two_replicas_of_each_kind_after_the_migration_step(compose):
    services = compose["services"]
    assert "scripts.migrate" in " ".join(services["migrate"]["command"])
    for kind, port in KINDS.items():
        replicas = [n for n in services if n.rsplit("-", 1)[0] == kind]
        assert len(replicas) == 2, kind
        for name in replicas:
            svc = services[name]
            assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
            assert svc["environment"]["HANDOFF_MIGRATE_ON_START"] == "0"
            assert str(port) in " ".join(svc["command"]) or kind == "handoff"
            assert str(port) in " ".join(svc["healthcheck"]["test"])
    assert services["handoff-1"]["environment"]["HANDOFF_CONSUMER"] != \
        services["handoff-2"]["environment"]["HANDOFF_CONSUMER"]
    # each kind reaches the others through the balancer
    env = services["rasa-1"]["environment"]
    assert env["ACTION_ENDPOINT_URL"].startswith("http://nginx:")
    assert env["RASA_URL"].startswith("http://nginx:") and env["HANDOFF_URL"].startswith("http://nginx:")
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]
    assert services["redis"]["volumes"] and services["postgres"]["volumes"]


def test_nginx_conf_is_the_generated_one_for_the_compose_services(compose):
    conf = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert conf == compose_conf(), "deploy/nginx.conf is stale: python -m scripts.lb > deploy/nginx.conf"
    for kind, port in KINDS.items():
        for name in (n for n in compose["services"] if n.rsplit("-", 1)[0] == kind):
            assert f"server {name}:{port} " in conf
    assert "hash $frontline_sender consistent;" in conf and "ip_hash;" in conf


# -- Kubernetes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", [d for d in k8s_docs() if d["kind"] != "Kustomization"],
                         ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_manifest_matches_the_kubernetes_schema(doc):
    kubernetes_validate.validate(doc, kv_utils.latest_version(), strict=True)


def test_schema_check_rejects_a_broken_manifest():
    broken = dict(by_kind("Deployment")["actions"])
    broken["spec"] = {**broken["spec"], "replicas": "two"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kv_utils.latest_version(), strict=True)


def test_kustomization_applies_every_manifest_but_the_examples():
    kust = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")}
    assert set(kust["resources"]) == files - {"kustomization.yaml", "secret.example.yaml",
                                              "ingress-nginx-config.yaml"}


def test_deployments_have_probes_ports_and_secrets_from_the_secret(launcher_env):
    deployments = by_kind("Deployment")
    services = by_kind("Service")
    config = by_kind("ConfigMap")["frontline-config"]["data"]
    secret = set(by_kind("Secret")["frontline-secrets"]["stringData"])
    probes = {"rasa": ("/version", "/"), "actions": ("/health", "/health"),
              "handoff": ("/ready", "/health")}
    for kind, port in KINDS.items():
        dep = deployments[kind]
        assert dep["spec"]["replicas"] >= 2
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert container["ports"][0]["containerPort"] == port
        assert (container["readinessProbe"]["httpGet"]["path"],
                container["livenessProbe"]["httpGet"]["path"]) == probes[kind]
        refs = container["envFrom"]
        assert {"configMapRef": {"name": "frontline-config"}} in refs
        assert {"secretRef": {"name": "frontline-secrets"}} in refs
        assert services[kind]["spec"]["ports"][0]["port"] == port
        assert services[kind]["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    # every setting the launcher gives is configured, each secret in the Secret only
    assert set(launcher_env) - LAUNCHER_ONLY <= set(config) | secret
    assert secrets() | DB_URLS <= secret
    assert not (secrets() | DB_URLS) & set(config)
    assert config["HANDOFF_MIGRATE_ON_START"] == "0" and config["FRONTLINE_ENV"] == "production"
    handoff_env = deployments["handoff"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert handoff_env[0]["name"] == "HANDOFF_CONSUMER"  # one stream consumer name per pod


def test_migration_job_runs_the_step():
    job = by_kind("Job")["frontline-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "scripts.migrate"]
    assert {"secretRef": {"name": "frontline-secrets"}} in container["envFrom"]


def test_ingress_routes_conversations_by_sender_and_socketio_sticky():
    ingresses = by_kind("Ingress")
    ann = "nginx.ingress.kubernetes.io/"
    for name in ("rasa-conversations", "rasa-relay"):
        assert ingresses[name]["metadata"]["annotations"][ann + "upstream-hash-by"] == "$frontline_sender"
    assert ingresses["rasa-socketio"]["metadata"]["annotations"][ann + "affinity"] == "cookie"
    paths = {p["path"]: (name, p["backend"]["service"]["name"]) for name, ing in ingresses.items()
             for rule in ing["spec"]["rules"] for p in rule["http"]["paths"]}
    assert paths["/webhooks"] == ("rasa-conversations", "rasa")
    assert paths["/socket.io"] == ("rasa-socketio", "rasa")
    assert paths["/conversations"] == ("rasa-relay", "rasa")
    assert paths["/api"][1] == paths["/console"][1] == "handoff"
    snippet = by_kind("ConfigMap")["ingress-nginx-controller"]["data"]["http-snippet"]
    assert textwrap.dedent(snippet) == textwrap.dedent(SENDER_MAPS)
    redis = by_kind("StatefulSet")["redis"]["spec"]["template"]["spec"]["containers"][0]
    assert redis["args"][:2] == ["--appendonly", "yes"]

"""Wire differences from the real service, closed (shared/reference/wire-fidelity-2026.md): each
test names the section of the reference whose behaviour it checks, over real HTTP, through
databricks-sdk's own methods where it has one."""

from __future__ import annotations

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.config import Config
from databricks.sdk.credentials_provider import CredentialsProvider, CredentialsStrategy
from databricks.sdk.errors import PermissionDenied, Unauthenticated

from serving_panel.errors import Unauthenticated as ClientUnauthenticated
from serving_panel.errors import error_from_response
from serving_panel.local.handle import LocalWorkspace

PREFIX = "/api/2.0/serving-endpoints"
MISSING_CREDENTIAL = "Credential was not sent or was of an unsupported type for this API."


@pytest.fixture(scope="module")
def sdk(workspace: LocalWorkspace) -> WorkspaceClient:
    return WorkspaceClient(host=workspace.host, token=workspace.token)


# §1: authentication failures ---------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"Authorization": "Bearer "}],
    ids=["no header", "not bearer", "empty token"],
)
def test_a_missing_or_unreadable_credential_is_the_services_401(
    workspace: LocalWorkspace, headers: dict[str, str]
) -> None:
    response = requests.get(workspace.host + PREFIX, headers=headers, timeout=30)
    assert response.status_code == 401, response.text
    assert response.json() == {"error_code": 401, "message": MISSING_CREDENTIAL}
    assert response.headers["X-Databricks-Reason-Phrase"] == MISSING_CREDENTIAL


class _BasicAuth(CredentialsStrategy):
    """A credential the serving API doesn't take: HTTP basic, as an old script might send."""

    def auth_type(self) -> str:
        return "basic-for-test"

    def __call__(self, cfg: Config) -> CredentialsProvider:
        return lambda: {"Authorization": "Basic YWRtaW46YWRtaW4="}


def test_databricks_sdk_maps_the_401_and_403_bodies_to_its_classes(
    workspace: LocalWorkspace,
) -> None:
    # The SDK maps an error by its code first; an integer code falls through to the status.
    unsupported = WorkspaceClient(
        config=Config(host=workspace.host, credentials_strategy=_BasicAuth())
    )
    with pytest.raises(Unauthenticated, match="Credential was not sent"):
        unsupported.serving_endpoints.list()
    forged = WorkspaceClient(host=workspace.host, token="dapi" + "0" * 32)
    with pytest.raises(PermissionDenied, match="Invalid access token"):
        forged.serving_endpoints.list()


def test_the_client_reads_the_401_body_as_unauthenticated(workspace: LocalWorkspace) -> None:
    response = requests.get(workspace.host + PREFIX, timeout=30)
    error = error_from_response(response.status_code, response.content, method="GET", path=PREFIX)
    assert isinstance(error, ClientUnauthenticated)
    assert error.status == 401
    assert str(error).startswith(MISSING_CREDENTIAL) or MISSING_CREDENTIAL in str(error)

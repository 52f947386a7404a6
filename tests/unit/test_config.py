"""Host and token resolution: the same answers as databricks-sdk, and never a token in a message.

Every test passes its own `environ` and uses `tmp_path` as home. The tests that run the real
databricks-sdk clear the process environment first and point it at a local HTTP server, which
answers the SDK's `/.well-known/databricks-config` probe with 404 at once.
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk._base_client import _fix_host_if_needed
from databricks.sdk.core import Config
from databricks.sdk.credentials_provider import CredentialsProvider, CredentialsStrategy
from hypothesis import given
from hypothesis import strategies as st

from serving_panel import config as config_module
from serving_panel.config import (
    ConfigurationError,
    Connection,
    from_sdk,
    normalize_host,
    resolve,
)

TOKEN = "dapi-SECRET-7f3a9c-never-print-me"
OTHER_TOKEN = "dapi-OTHER-SECRET-51e0b2"
FILE_TOKEN = "dapi-FILE-SECRET-c4d9a1"
SECRETS = (TOKEN, OTHER_TOKEN, FILE_TOKEN, "SHHH-client-secret")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_cfg(home: Path, text: str, name: str = ".databrickscfg") -> Path:
    path = home / name
    path.write_text(text)
    return path


def error_of(call: Callable[[], object]) -> str:
    """The ConfigurationError's message, after checking no secret is in its str or repr."""
    with pytest.raises(ConfigurationError) as info:
        call()
    for secret in SECRETS:
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
    return str(info.value)


# --- precedence: arguments > environment > config file ------------------------------------


def test_arguments_win_over_environment_and_file(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://file.example.com\ntoken = {FILE_TOKEN}\n")
    env = {"DATABRICKS_HOST": "https://env.example.com", "DATABRICKS_TOKEN": OTHER_TOKEN}
    conn = resolve("https://args.example.com", TOKEN, environ=env, home=tmp_path)
    assert conn.host == "https://args.example.com"
    assert conn.header_factory() == bearer(TOKEN)
    assert conn.auth_type == "pat"
    assert conn.source == "arguments"
    assert conn.profile is None


def test_environment_wins_over_file(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://file.example.com\ntoken = {FILE_TOKEN}\n")
    env = {"DATABRICKS_HOST": "https://env.example.com", "DATABRICKS_TOKEN": OTHER_TOKEN}
    conn = resolve(environ=env, home=tmp_path)
    assert conn.host == "https://env.example.com"
    assert conn.header_factory() == bearer(OTHER_TOKEN)
    assert conn.source == "environment (DATABRICKS_HOST, DATABRICKS_TOKEN)"
    assert conn.profile is None


def test_argument_host_with_environment_token(tmp_path: Path) -> None:
    conn = resolve("https://args.example.com", environ={"DATABRICKS_TOKEN": TOKEN}, home=tmp_path)
    assert conn.header_factory() == bearer(TOKEN)
    assert conn.source == "host from arguments, token from environment (DATABRICKS_TOKEN)"


def test_file_is_not_even_parsed_when_host_and_token_are_given(tmp_path: Path) -> None:
    write_cfg(tmp_path, "this is not an ini file\n")
    conn = resolve("https://args.example.com", TOKEN, environ={}, home=tmp_path)
    assert conn.host == "https://args.example.com"


def test_a_host_alone_skips_the_file_so_its_token_is_not_used(tmp_path: Path) -> None:
    """The SDK reads the file only when no host and no credentials are set (or a profile is)."""
    path = write_cfg(
        tmp_path, f"[DEFAULT]\nhost = https://file.example.com\ntoken = {FILE_TOKEN}\n"
    )
    message = error_of(
        lambda: resolve(environ={"DATABRICKS_HOST": "https://env.example.com"}, home=tmp_path)
    )
    assert message.startswith("No Databricks token found")
    assert f"config file {path}: not read" in message


def test_a_token_alone_skips_the_file_so_its_host_is_not_used(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://file.example.com\ntoken = {FILE_TOKEN}\n")
    message = error_of(lambda: resolve(token=TOKEN, environ={}, home=tmp_path))
    assert message.startswith("No Databricks host found")


def test_file_default_section_when_nothing_else_is_set(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, f"[DEFAULT]\nhost = https://file.example.com/\ntoken = {TOKEN}\n")
    conn = resolve(environ={}, home=tmp_path)
    assert conn.host == "https://file.example.com"
    assert conn.header_factory() == bearer(TOKEN)
    assert conn.source == f"profile 'DEFAULT' in {path}"
    assert conn.profile == "DEFAULT"


def test_settings_default_profile_beats_default_section(tmp_path: Path) -> None:
    write_cfg(
        tmp_path,
        "[__settings__]\ndefault_profile = emu\n"
        f"[DEFAULT]\nhost = https://default.example.com\ntoken = {OTHER_TOKEN}\n"
        f"[emu]\nhost = http://127.0.0.1:8080\ntoken = {TOKEN}\n",
    )
    conn = resolve(environ={}, home=tmp_path)
    assert (conn.host, conn.profile) == ("http://127.0.0.1:8080", "emu")
    assert conn.header_factory() == bearer(TOKEN)


def test_profile_from_environment(tmp_path: Path) -> None:
    write_cfg(
        tmp_path,
        f"[DEFAULT]\nhost = https://default.example.com\ntoken = {OTHER_TOKEN}\n"
        f"[emu]\nhost = http://127.0.0.1:8080\ntoken = {TOKEN}\n",
    )
    conn = resolve(environ={"DATABRICKS_CONFIG_PROFILE": "emu"}, home=tmp_path)
    assert (conn.host, conn.profile) == ("http://127.0.0.1:8080", "emu")
    assert conn.header_factory() == bearer(TOKEN)


def test_profile_argument_beats_profile_from_environment(tmp_path: Path) -> None:
    write_cfg(
        tmp_path,
        f"[one]\nhost = https://one.example.com\ntoken = {OTHER_TOKEN}\n"
        f"[two]\nhost = https://two.example.com\ntoken = {TOKEN}\n",
    )
    conn = resolve(profile="two", environ={"DATABRICKS_CONFIG_PROFILE": "one"}, home=tmp_path)
    assert (conn.host, conn.profile) == ("https://two.example.com", "two")


def test_a_named_profile_only_fills_what_is_unset(tmp_path: Path) -> None:
    """A profile is read even when the environment has a host, but the environment still wins."""
    path = write_cfg(tmp_path, f"[emu]\nhost = https://file.example.com\ntoken = {FILE_TOKEN}\n")
    env = {"DATABRICKS_TOKEN": TOKEN, "DATABRICKS_CONFIG_PROFILE": "emu"}
    conn = resolve(environ=env, home=tmp_path)
    assert conn.host == "https://file.example.com"
    assert conn.header_factory() == bearer(TOKEN)
    assert conn.source == (
        f"host from profile 'emu' in {path}, token from environment (DATABRICKS_TOKEN)"
    )


def test_a_named_profile_is_read_even_when_host_and_token_are_given(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[emu]\nhost = https://file.example.com\n")
    conn = resolve("https://args.example.com", TOKEN, profile="emu", environ={}, home=tmp_path)
    assert conn.host == "https://args.example.com"
    assert conn.profile == "emu"
    message = error_of(
        lambda: resolve("https://a.example.com", TOKEN, profile="nope", environ={}, home=tmp_path)
    )
    assert "'nope'" in message


def test_default_section_is_not_merged_into_a_named_profile(tmp_path: Path) -> None:
    """configparser would merge [DEFAULT] into every section; the SDK reads sections raw."""
    write_cfg(tmp_path, f"[DEFAULT]\ntoken = {FILE_TOKEN}\n[emu]\nhost = https://e.example.com\n")
    message = error_of(lambda: resolve(profile="emu", environ={}, home=tmp_path))
    assert message.startswith("No Databricks token found")
    assert "Profile 'emu' has no token" in message
    assert "ServingClient.from_sdk(WorkspaceClient(profile='emu'))" in message


def test_config_file_from_environment(tmp_path: Path) -> None:
    custom = write_cfg(tmp_path, f"[DEFAULT]\nhost = https://c.example.com\ntoken = {TOKEN}\n", "c")
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://home.example.com\ntoken = {TOKEN}\n")
    conn = resolve(environ={"DATABRICKS_CONFIG_FILE": str(custom)}, home=tmp_path)
    assert conn.host == "https://c.example.com"
    assert conn.source == f"profile 'DEFAULT' in {custom}"


def test_config_file_tilde_means_the_home_argument(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://t.example.com\ntoken = {TOKEN}\n", "cfg/x")
    conn = resolve(environ={"DATABRICKS_CONFIG_FILE": "~/cfg/x"}, home=tmp_path)
    assert conn.host == "https://t.example.com"


def test_empty_environment_variables_are_ignored(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://file.example.com\ntoken = {TOKEN}\n")
    env = {"DATABRICKS_HOST": "", "DATABRICKS_TOKEN": "", "DATABRICKS_CONFIG_PROFILE": ""}
    conn = resolve(environ=env, home=tmp_path)
    assert conn.host == "https://file.example.com"


def test_an_empty_token_argument_hides_the_environment_token(tmp_path: Path) -> None:
    """As in the SDK, only `None` means "not given"; an empty string is a (useless) value."""
    message = error_of(
        lambda: resolve(
            "https://h.example.com", "", environ={"DATABRICKS_TOKEN": TOKEN}, home=tmp_path
        )
    )
    assert "token given but empty" in message
    assert "token from arguments is empty" in message


def test_the_real_home_is_used_when_no_home_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_cfg(tmp_path, f"[DEFAULT]\nhost = https://home.example.com\ntoken = {TOKEN}\n")
    assert resolve(environ={}).host == "https://home.example.com"


# --- profiles that can't be used --------------------------------------------------------


def test_missing_named_profile_lists_the_profiles_in_the_file(tmp_path: Path) -> None:
    path = write_cfg(
        tmp_path,
        "[__settings__]\nx = 1\n"
        f"[DEFAULT]\nhost = https://d.example.com\ntoken = {FILE_TOKEN}\n"
        f"[emu]\nhost = https://e.example.com\ntoken = {FILE_TOKEN}\n[prod]\nhost = https://p\n",
    )
    message = error_of(lambda: resolve(profile="staging", environ={}, home=tmp_path))
    assert f"profile 'staging' (named by the profile argument) is not in {path}" in message
    assert "'emu', 'prod', 'DEFAULT'" in message
    assert "__settings__" not in message


def test_missing_profile_named_by_environment_says_so(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[emu]\nhost = https://e\n")
    env = {"DATABRICKS_CONFIG_PROFILE": "nope"}
    message = error_of(lambda: resolve(environ=env, home=tmp_path))
    assert "named by DATABRICKS_CONFIG_PROFILE" in message


def test_missing_default_profile_setting_is_an_error(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[__settings__]\ndefault_profile = gone\n[emu]\nhost = https://e\n")
    message = error_of(lambda: resolve(environ={}, home=tmp_path))
    assert "profile 'gone' ([__settings__] default_profile) is not in" in message
    assert "'emu'" in message


def test_an_empty_file_has_no_profiles(tmp_path: Path) -> None:
    write_cfg(tmp_path, "")
    message = error_of(lambda: resolve(profile="x", environ={}, home=tmp_path))
    assert "the profiles there are: none" in message


def test_a_named_profile_without_a_file_is_fine_when_env_has_the_rest(tmp_path: Path) -> None:
    """The SDK ignores a missing file even for a named profile."""
    env = {"DATABRICKS_HOST": "https://env.example.com", "DATABRICKS_TOKEN": TOKEN}
    conn = resolve(profile="emu", environ=env, home=tmp_path)
    assert conn.host == "https://env.example.com"
    assert conn.profile is None


def test_the_settings_section_is_not_a_profile(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[__settings__]\nhost = https://s\n")
    message = error_of(lambda: resolve(profile="__settings__", environ={}, home=tmp_path))
    assert "reserved" in message


@pytest.mark.parametrize(
    ("keys", "mentions"),
    [
        ("client_id = abc\nclient_secret = SHHH-client-secret\n", "oauth"),
        (
            "azure_client_id = a\nazure_tenant_id = t\nazure_client_secret = SHHH-client-secret\n",
            "azure",
        ),
        ("google_service_account = sa@p.iam.gserviceaccount.com\n", "google"),
        ("username = u\npassword = SHHH-client-secret\n", "basic"),
        ("auth_type = databricks-cli\n", "'databricks-cli'"),
        ("auth_type = external-browser\n", "'external-browser'"),
        ("", "has no token"),
    ],
)
def test_profiles_for_other_auth_types_point_to_from_sdk(
    tmp_path: Path, keys: str, mentions: str
) -> None:
    write_cfg(tmp_path, f"[ws]\nhost = https://ws.cloud.databricks.com\n{keys}")
    message = error_of(lambda: resolve(profile="ws", environ={}, home=tmp_path))
    assert mentions in message
    assert "ServingClient.from_sdk(WorkspaceClient(profile='ws'))" in message


def test_auth_type_pat_in_a_profile_is_a_pat(tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[ws]\nhost = https://ws\ntoken = {TOKEN}\nauth_type = pat\n")
    conn = resolve(profile="ws", environ={}, home=tmp_path)
    assert conn.header_factory() == bearer(TOKEN)


def test_other_auth_in_the_environment_points_to_from_sdk(tmp_path: Path) -> None:
    env = {
        "DATABRICKS_HOST": "https://ws",
        "DATABRICKS_CLIENT_ID": "abc",
        "DATABRICKS_CLIENT_SECRET": "SHHH-client-secret",
    }
    message = error_of(lambda: resolve(environ=env, home=tmp_path))
    assert "oauth authentication" in message
    assert "client_id from DATABRICKS_CLIENT_ID" in message
    assert "ServingClient.from_sdk(WorkspaceClient())" in message


def test_two_auth_methods_are_refused_unless_auth_type_picks_one(tmp_path: Path) -> None:
    env = {"ARM_CLIENT_ID": "some-app"}
    message = error_of(lambda: resolve("https://ws", TOKEN, environ=env, home=tmp_path))
    assert "more than one authorization method is configured: azure and pat" in message
    assert "azure_client_id from ARM_CLIENT_ID" in message
    env["DATABRICKS_AUTH_TYPE"] = "pat"
    assert resolve("https://ws", TOKEN, environ=env, home=tmp_path).auth_type == "pat"


def test_group_role_assumption_is_not_for_a_pat(tmp_path: Path) -> None:
    env = {"DATABRICKS_GROUP_ID": "g1"}
    message = error_of(lambda: resolve("https://ws", TOKEN, environ=env, home=tmp_path))
    assert "group_id (from DATABRICKS_GROUP_ID)" in message
    assert "from_sdk" in message


# --- the "nothing found" message ---------------------------------------------------------


def test_missing_everything_lists_every_place_looked(tmp_path: Path) -> None:
    message = error_of(lambda: resolve(environ={}, home=tmp_path))
    assert message.splitlines() == [
        "No Databricks host or token found. Looked in:",
        "  - arguments: host not given, token not given, profile not given",
        "  - environment: DATABRICKS_HOST not set, DATABRICKS_TOKEN not set, "
        "DATABRICKS_CONFIG_PROFILE not set, DATABRICKS_CONFIG_FILE not set",
        f"  - config file {tmp_path / '.databrickscfg'}: does not exist",
        "Pass host= and token=, set DATABRICKS_HOST and DATABRICKS_TOKEN, or add host and token "
        f"to a profile in {tmp_path / '.databrickscfg'}. For other kinds of sign-in use "
        "ServingClient.from_sdk(WorkspaceClient()).",
    ]


def test_missing_token_message_names_what_was_set_but_not_the_token(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[DEFAULT]\nhost = https://d\n")
    env = {
        "DATABRICKS_HOST": "https://env",
        "DATABRICKS_CONFIG_FILE": str(tmp_path / ".databrickscfg"),
        "DATABRICKS_OIDC_TOKEN_FILE": "",
        "DATABRICKS_WAREHOUSE_ID": "w",
    }
    message = error_of(lambda: resolve(environ=env, home=tmp_path))
    assert message.startswith("No Databricks token found.")
    assert "DATABRICKS_HOST set" in message
    assert f"DATABRICKS_CONFIG_FILE = '{tmp_path / '.databrickscfg'}'" in message
    assert "not read, because a host or credentials were already set" in message


def test_a_default_section_without_keys_is_no_profile(tmp_path: Path) -> None:
    write_cfg(tmp_path, "[DEFAULT]\n[other]\nhost = https://o\n")
    message = error_of(lambda: resolve(environ={}, home=tmp_path))
    assert "has no [__settings__] default_profile and no [DEFAULT] profile" in message


def test_a_config_file_that_cannot_be_opened_is_skipped_like_the_sdk_does(tmp_path: Path) -> None:
    (tmp_path / ".databrickscfg").mkdir()
    message = error_of(lambda: resolve(environ={}, home=tmp_path))
    assert "exists but could not be read" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token = {FILE_TOKEN}\n", "line 1: a key comes before the first [section]"),
        (f"[a]\nhost = https://a\n{FILE_TOKEN}\n", "could not be parsed (line 3)"),
        (f"[a]\ntoken = {FILE_TOKEN}\ntoken = {FILE_TOKEN}\n", "key 'token' appears twice"),
        ("[a]\nhost = x\n[a]\nhost = y\n", "section [a] appears twice"),
    ],
)
def test_a_malformed_file_is_reported_without_its_contents(
    tmp_path: Path, text: str, expected: str
) -> None:
    write_cfg(tmp_path, text)
    assert expected in error_of(lambda: resolve(environ={}, home=tmp_path))


def test_a_token_with_a_newline_is_refused_without_being_shown(tmp_path: Path) -> None:
    env = {"DATABRICKS_HOST": "https://h", "DATABRICKS_TOKEN": TOKEN + "\n"}
    message = error_of(lambda: resolve(environ=env, home=tmp_path))
    assert "the token from DATABRICKS_TOKEN has surrounding whitespace" in message


def test_a_token_passed_as_the_host_is_masked(tmp_path: Path) -> None:
    message = error_of(lambda: resolve(f"ftp://{TOKEN}", TOKEN, environ={}, home=tmp_path))
    assert "ftp://***" in message


# --- hosts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("example.cloud.databricks.com", "https://example.cloud.databricks.com"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com//", "https://example.com"),
        ("https://example.com:443", "https://example.com"),
        ("https://example.com:443/", "https://example.com"),
        ("example.com:443", "https://example.com"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://localhost", "http://localhost"),
        ("http://localhost:443", "http://localhost:443"),
        ("localhost:8080", "https://localhost:8080"),
        ("HTTPS://Example.com", "https://Example.com"),
        ("https://[::1]:443/", "https://[::1]"),
        ("https://proxy.example.com/databricks/", "https://proxy.example.com/databricks"),
    ],
)
def test_normalize_host(given: str, expected: str) -> None:
    assert normalize_host(given) == expected


@pytest.mark.parametrize(
    ("given", "mentions"),
    [
        ("", "empty"),
        ("ftp://example.com", "http:// or https://"),
        ("https://", "no valid host name"),
        ("https://exa mple.com", "no valid host name"),
        ("https://example.com:notaport", "not a valid URL"),
        ("https://example.com:99999", "not a valid URL"),
        ("https://example.com?x=1", "query"),
        ("https://example.com/#frag", "fragment"),
    ],
)
def test_normalize_host_rejects(given: str, mentions: str) -> None:
    with pytest.raises(ConfigurationError, match=mentions):
        normalize_host(given)


def test_a_host_with_credentials_is_refused_without_showing_them() -> None:
    message = error_of(lambda: normalize_host(f"https://me:{TOKEN}@example.com"))
    assert "user name or password" in message
    message = error_of(lambda: normalize_host(f"https://me:{TOKEN}@example.com:x"))
    assert "not shown" in message


def test_resolve_normalizes_and_validates_the_host(tmp_path: Path) -> None:
    env = {"DATABRICKS_HOST": "ws.example.com/", "DATABRICKS_TOKEN": TOKEN}
    conn = resolve(environ=env, home=tmp_path)
    assert conn.host == "https://ws.example.com"
    message = error_of(lambda: resolve("ftp://ws", TOKEN, environ={}, home=tmp_path))
    assert "http:// or https://" in message


_labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
# (scheme, host name, port, path, trailing slashes): hosts as people write them.
_host_parts = st.tuples(
    st.sampled_from(["", "https://", "http://", "HTTPS://", "Http://"]),
    st.lists(_labels, min_size=1, max_size=4).map(".".join),
    st.sampled_from(["", ":443", ":0443", ":80"]) | st.integers(1, 65535).map(":{}".format),
    st.sampled_from(["", "/api", "/a/b", "/a/b.c"]),
    st.sampled_from(["", "/", "//", "///"]),
)
_hosts = _host_parts.map("".join)


@given(_hosts)
def test_normalize_host_is_idempotent_on_hosts(host: str) -> None:
    once = normalize_host(host)
    assert normalize_host(once) == once


@given(st.text())
def test_normalize_host_is_idempotent_or_refuses_with_configuration_error(text: str) -> None:
    try:
        once = normalize_host(text)
    except ConfigurationError:
        return
    assert normalize_host(once) == once


@given(_host_parts)
def test_normalize_host_matches_the_sdk(parts: tuple[str, str, str, str, str]) -> None:
    """Same as databricks-sdk, except that we keep `:443` on http URLs (the SDK drops it)."""
    host = "".join(parts)
    ours = normalize_host(host)
    scheme, _, port, _, _ = parts
    if scheme.lower() == "http://" and port in (":443", ":0443"):
        assert _fix_host_if_needed(host) == ours.replace(port, "", 1)
    else:
        assert _fix_host_if_needed(host) == ours


# --- Connection --------------------------------------------------------------------------


def test_connection_repr_and_str_never_show_the_token(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, f"[emu]\nhost = http://127.0.0.1:1\ntoken = {TOKEN}\n")
    conn = resolve(profile="emu", environ={}, home=tmp_path)
    expected = (
        f"Connection(host='http://127.0.0.1:1', auth_type='pat', "
        f"source=\"profile 'emu' in {path}\", profile='emu')"
    )
    assert repr(conn) == expected
    assert str(conn) == expected
    for shown in (repr(conn), str(conn), f"{conn}", repr(dataclasses.asdict(conn))):
        assert TOKEN not in shown


def test_connection_keeps_the_token_in_no_field(tmp_path: Path) -> None:
    conn = resolve("https://h", TOKEN, environ={}, home=tmp_path)
    for f in dataclasses.fields(conn):
        assert TOKEN not in str(getattr(conn, f.name))
    assert "header_factory" not in repr(conn)


def test_header_factory_returns_a_fresh_dict_each_time(tmp_path: Path) -> None:
    conn = resolve("https://h", TOKEN, environ={}, home=tmp_path)
    first = conn.header_factory()
    first["Authorization"] = "tampered"
    assert conn.header_factory() == bearer(TOKEN)


def test_connection_is_frozen(tmp_path: Path) -> None:
    conn = resolve("https://h", TOKEN, environ={}, home=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conn.host = "https://other"  # type: ignore[misc]


# --- databricks-sdk ----------------------------------------------------------------------


class _NotFound(http.server.BaseHTTPRequestHandler):
    """Answers everything, the SDK's `/.well-known/databricks-config` probe included, with 404."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    """A real HTTP server on a free port; it listens before the fixture returns."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sdk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Mapping[str, str]], None]:
    """Gives the SDK exactly `env` plus HOME=tmp_path: nothing real leaks in, PATH included."""

    def apply(env: Mapping[str, str]) -> None:
        for name in list(os.environ):
            monkeypatch.delenv(name)
        monkeypatch.setenv("HOME", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)

    apply({})
    return apply


@pytest.mark.usefixtures("sdk_env")
def test_from_sdk_with_a_config(server_url: str) -> None:
    sdk_config = Config(host=server_url + "/", token=TOKEN)
    conn = from_sdk(sdk_config)
    assert conn.host == server_url
    assert conn.auth_type == "pat"
    assert conn.source == "databricks-sdk (pat)"
    assert conn.header_factory() == bearer(TOKEN)
    assert conn.header_factory == sdk_config.authenticate
    assert conn.profile is None
    assert TOKEN not in repr(conn)


@pytest.mark.usefixtures("sdk_env")
def test_from_sdk_with_a_workspace_client(server_url: str) -> None:
    conn = from_sdk(WorkspaceClient(host=server_url, token=TOKEN))
    assert (conn.host, conn.auth_type) == (server_url, "pat")
    assert conn.header_factory() == bearer(TOKEN)


@pytest.mark.usefixtures("sdk_env")
def test_from_sdk_asks_the_sdk_for_headers_on_every_request(server_url: str) -> None:
    """OAuth tokens expire: the connection must not keep the first header it saw."""

    class Rotating(CredentialsStrategy):
        def auth_type(self) -> str:
            return "rotating-oauth"

        def __call__(self, cfg: Config) -> CredentialsProvider:
            issued = iter(range(1, 1000))
            return lambda: bearer(f"t{next(issued)}")

    conn = from_sdk(Config(host=server_url, credentials_strategy=Rotating()))
    assert conn.auth_type == "rotating-oauth"
    assert conn.source == "databricks-sdk (rotating-oauth)"
    assert [conn.header_factory(), conn.header_factory()] == [bearer("t1"), bearer("t2")]


@pytest.mark.usefixtures("sdk_env")
def test_from_sdk_keeps_the_sdk_profile(server_url: str, tmp_path: Path) -> None:
    write_cfg(tmp_path, f"[emu]\nhost = {server_url}\ntoken = {TOKEN}\n")
    conn = from_sdk(Config(profile="emu"))
    assert conn.profile == "emu"


def test_from_sdk_refuses_other_objects() -> None:
    message = error_of(lambda: from_sdk({"host": "https://h", "token": TOKEN}))
    assert "expects a databricks.sdk.WorkspaceClient or a databricks.sdk.core.Config" in message
    assert "builtins.dict" in message


def test_from_sdk_without_databricks_sdk_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "databricks.sdk", None)
    monkeypatch.setitem(sys.modules, "databricks.sdk.core", None)
    message = error_of(lambda: from_sdk(object()))
    assert "pip install databricks-sdk" in message


def test_the_attribute_table_matches_the_sdk() -> None:
    """`_ATTRS` copies the SDK's env names and auth kinds; this catches an SDK that moved on."""
    sdk = {a.name: a for a in Config.attributes()}
    ours = {a.name: a for a in config_module._ATTRS}
    sdk_auth = {name for name, a in sdk.items() if a.auth}
    assert sdk_auth <= set(ours), "an SDK auth attribute is missing from _ATTRS"
    for name, attr in ours.items():
        assert sdk[name].env == attr.env
        assert sdk[name].auth == attr.auth
        assert tuple(sdk[name].env_aliases) == attr.aliases


# Parity: the same setup given to resolve() and to databricks-sdk's Config gives the same host and
# Authorization header, or fails in both. Hosts are paths on the local server so each is distinct.
PARITY: list[tuple[str, dict[str, str], dict[str, str], str | None, bool]] = [
    # id, arguments, environment, config file ({url} and {home} are filled in), succeeds
    (
        "arguments",
        {"host": "{url}/args", "token": TOKEN},
        {"DATABRICKS_HOST": "{url}/env", "DATABRICKS_TOKEN": OTHER_TOKEN},
        f"[DEFAULT]\nhost = {{url}}/file\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "environment",
        {},
        {"DATABRICKS_HOST": "{url}/env", "DATABRICKS_TOKEN": OTHER_TOKEN},
        f"[DEFAULT]\nhost = {{url}}/file\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    ("default-section", {}, {}, f"[DEFAULT]\nhost = {{url}}/file/\ntoken = {FILE_TOKEN}\n", True),
    (
        "settings-default-profile",
        {},
        {},
        "[__settings__]\ndefault_profile = emu\n"
        f"[DEFAULT]\nhost = {{url}}/default\ntoken = {OTHER_TOKEN}\n"
        f"[emu]\nhost = {{url}}/emu\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "profile-from-env",
        {},
        {"DATABRICKS_CONFIG_PROFILE": "emu"},
        f"[DEFAULT]\nhost = {{url}}/default\ntoken = {OTHER_TOKEN}\n"
        f"[emu]\nhost = {{url}}/emu\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "profile-argument-beats-env",
        {"profile": "two"},
        {"DATABRICKS_CONFIG_PROFILE": "one"},
        f"[one]\nhost = {{url}}/one\ntoken = {OTHER_TOKEN}\n"
        f"[two]\nhost = {{url}}/two\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "profile-fills-only-unset",
        {"profile": "emu"},
        {"DATABRICKS_TOKEN": TOKEN},
        f"[emu]\nhost = {{url}}/emu\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "host-alone-skips-file",
        {},
        {"DATABRICKS_HOST": "{url}/env"},
        f"[DEFAULT]\nhost = {{url}}/file\ntoken = {FILE_TOKEN}\n",
        False,
    ),
    (
        "default-not-merged",
        {"profile": "emu"},
        {},
        f"[DEFAULT]\ntoken = {FILE_TOKEN}\n[emu]\nhost = {{url}}/emu\n",
        False,
    ),
    ("missing-profile", {"profile": "nope"}, {}, "[emu]\nhost = {url}/emu\n", False),
    (
        "missing-default-profile",
        {},
        {},
        f"[__settings__]\ndefault_profile = gone\n[DEFAULT]\nhost = {{url}}\ntoken = {TOKEN}\n",
        False,
    ),
    (
        "named-profile-no-file",
        {"profile": "emu"},
        {"DATABRICKS_HOST": "{url}/env", "DATABRICKS_TOKEN": TOKEN},
        None,
        True,
    ),
    (
        "config-file-env",
        {},
        {"DATABRICKS_CONFIG_FILE": "{home}/elsewhere.cfg"},
        f"[DEFAULT]\nhost = {{url}}/home\ntoken = {TOKEN}\n",
        True,
    ),
    (
        "empty-env-ignored",
        {},
        {"DATABRICKS_HOST": "", "DATABRICKS_TOKEN": ""},
        f"[DEFAULT]\nhost = {{url}}/file\ntoken = {FILE_TOKEN}\n",
        True,
    ),
    (
        "empty-token-argument",
        {"host": "{url}/args", "token": ""},
        {"DATABRICKS_TOKEN": TOKEN},
        None,
        False,
    ),
    (
        "two-auth-methods",
        {"host": "{url}/args", "token": TOKEN},
        {"ARM_CLIENT_ID": "app"},
        None,
        False,
    ),
    (
        "auth-type-pat-settles-it",
        {"host": "{url}/args", "token": TOKEN},
        {"ARM_CLIENT_ID": "app", "DATABRICKS_AUTH_TYPE": "pat"},
        None,
        True,
    ),
    (
        "auth-type-pat-in-profile",
        {"profile": "p"},
        {},
        f"[p]\nhost = {{url}}/p\ntoken = {TOKEN}\nauth_type = pat\n",
        True,
    ),
    ("group-id", {"host": "{url}", "token": TOKEN}, {"DATABRICKS_GROUP_ID": "g"}, None, False),
    ("settings-profile", {"profile": "__settings__"}, {}, "[__settings__]\nhost = {url}\n", False),
    ("nothing", {}, {}, None, False),
    ("empty-default", {}, {}, "[DEFAULT]\n[x]\nhost = {url}\n", False),
    ("host-normalized", {"host": "{url}/x//", "token": TOKEN}, {}, None, True),
]


@pytest.mark.parametrize(
    ("args", "env", "cfg", "ok"), [p[1:] for p in PARITY], ids=[p[0] for p in PARITY]
)
def test_resolve_agrees_with_databricks_sdk(
    server_url: str,
    tmp_path: Path,
    sdk_env: Callable[[Mapping[str, str]], None],
    args: dict[str, str],
    env: dict[str, str],
    cfg: str | None,
    ok: bool,
) -> None:
    def fill(text: str) -> str:
        return text.replace("{url}", server_url).replace("{home}", str(tmp_path))

    args = {k: fill(v) for k, v in args.items()}
    env = {k: fill(v) for k, v in env.items()}
    if cfg is not None:
        name = "elsewhere.cfg" if "DATABRICKS_CONFIG_FILE" in env else ".databrickscfg"
        write_cfg(tmp_path, fill(cfg), name)

    def ours() -> tuple[str, dict[str, str]] | None:
        try:
            conn = resolve(**args, environ=env, home=tmp_path)
        except ConfigurationError:
            return None
        return conn.host, conn.header_factory()

    def theirs() -> tuple[str, dict[str, str]] | None:
        sdk_env(env)
        try:
            kwargs: dict[str, Any] = dict(args)
            sdk_config = Config(**kwargs)
        except ValueError:
            return None
        return sdk_config.host, sdk_config.authenticate()

    outcome = ours()
    assert outcome == theirs()
    assert (outcome is not None) == ok


def test_connection_can_be_built_directly() -> None:
    """Other code (tests, `from_sdk`) builds connections by hand; repr still hides headers."""
    conn = Connection("https://h", lambda: bearer(TOKEN), "custom", "tests")
    assert repr(conn) == "Connection(host='https://h', auth_type='custom', source='tests')"

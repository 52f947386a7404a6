"""Where `ServingClient` finds its workspace and credentials.

`resolve()` follows databricks-sdk's `Config` (0.162) step for step, so that `ServingClient()` and
`WorkspaceClient()` pick the same host and personal access token from the same setup:

1. keyword arguments (a value of `None` means "not given"; an empty string counts as given);
2. environment variables (`DATABRICKS_HOST`, `DATABRICKS_TOKEN`, `DATABRICKS_CONFIG_PROFILE`,
   `DATABRICKS_CONFIG_FILE`, and the SDK's other auth variables, which only matter for the
   decisions below); empty variables are ignored;
3. the config file (`$DATABRICKS_CONFIG_FILE`, else `~/.databrickscfg`), read only when a profile
   is named or when no host and no credential of any kind is set yet. The profile is the named
   one, else `[__settings__] default_profile`, else `[DEFAULT]`; its keys fill only what is unset.

Then, as the SDK does: two auth methods without `auth_type` is an error; `auth_type` other than
`pat`, or credentials of another kind (OAuth, Azure, Google, ...), are for the SDK, and the error
says to use `ServingClient.from_sdk(WorkspaceClient(...))`. There is no network IO here.

Secrets stay out of every message and `repr`: the token lives only in the header factory's closure.
"""

from __future__ import annotations

import configparser
import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from serving_panel.errors import ServingError

__all__ = [
    "ConfigurationError",
    "Connection",
    "HeaderFactory",
    "from_sdk",
    "normalize_host",
    "resolve",
]

HeaderFactory = Callable[[], dict[str, str]]

DEFAULT_CONFIG_FILE = "~/.databrickscfg"
SETTINGS_SECTION = "__settings__"
DEFAULT_SECTION = "DEFAULT"
# configparser treats its `default_section` specially (merging it into every section). No section
# header can contain a newline, so with this name every section, `[DEFAULT]` included, is read as
# it is written, as the SDK reads them (it uses the parser's private `_sections`).
_NO_DEFAULT_SECTION = "\n"


class ConfigurationError(ServingError, ValueError):
    """No usable host and credentials. The message says where we looked; it never holds a secret."""


@dataclass(frozen=True)
class _Attr:
    """One databricks-sdk `Config` attribute that can change which credentials the SDK uses."""

    name: str
    env: str
    auth: str | None = None
    aliases: tuple[str, ...] = ()


# The databricks-sdk `Config` attributes that take part in choosing a PAT: every attribute with an
# `auth=` kind (they decide whether the config file is read and whether two methods clash), plus
# host, profile, config file, auth type and group id. Checked against the SDK in the unit tests.
_ATTRS: tuple[_Attr, ...] = (
    _Attr("host", "DATABRICKS_HOST"),
    _Attr("token", "DATABRICKS_TOKEN", "pat"),
    _Attr("profile", "DATABRICKS_CONFIG_PROFILE"),
    _Attr("config_file", "DATABRICKS_CONFIG_FILE"),
    _Attr("auth_type", "DATABRICKS_AUTH_TYPE"),
    _Attr("group_id", "DATABRICKS_GROUP_ID"),
    _Attr("oidc_token_env", "DATABRICKS_OIDC_TOKEN_ENV", "env-oidc"),
    _Attr(
        "oidc_token_filepath",
        "DATABRICKS_OIDC_TOKEN_FILEPATH",
        "file-oidc",
        ("DATABRICKS_OIDC_TOKEN_FILE",),
    ),
    _Attr("username", "DATABRICKS_USERNAME", "basic"),
    _Attr("password", "DATABRICKS_PASSWORD", "basic"),
    _Attr("client_id", "DATABRICKS_CLIENT_ID", "oauth"),
    _Attr("client_secret", "DATABRICKS_CLIENT_SECRET", "oauth"),
    _Attr("google_service_account", "DATABRICKS_GOOGLE_SERVICE_ACCOUNT", "google"),
    _Attr("google_credentials", "GOOGLE_CREDENTIALS", "google"),
    _Attr("azure_workspace_resource_id", "DATABRICKS_AZURE_RESOURCE_ID", "azure"),
    _Attr("azure_use_msi", "ARM_USE_MSI", "azure"),
    _Attr("azure_client_secret", "ARM_CLIENT_SECRET", "azure"),
    _Attr("azure_client_id", "ARM_CLIENT_ID", "azure"),
    _Attr("azure_tenant_id", "ARM_TENANT_ID", "azure"),
    _Attr("metadata_service_url", "DATABRICKS_METADATA_SERVICE_URL", "metadata-service"),
)
_AUTH_KIND = {a.name: a.auth for a in _ATTRS if a.auth}
_SECRETS = (
    "token",
    "password",
    "client_secret",
    "azure_client_secret",
    "google_credentials",
    "metadata_service_url",
)
_LISTED_ENV = ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE")


@dataclass(frozen=True)
class Connection:
    """Where to send requests and how to authenticate them; safe to print."""

    host: str
    header_factory: HeaderFactory = field(repr=False)
    auth_type: str
    source: str
    profile: str | None = None

    def __repr__(self) -> str:
        """Names the host and where it came from, never a credential."""
        profile = f", profile={self.profile!r}" if self.profile is not None else ""
        return (
            f"Connection(host={self.host!r}, auth_type={self.auth_type!r}, "
            f"source={self.source!r}{profile})"
        )


@dataclass(frozen=True)
class _Origin:
    """Where one value came from, for `Connection.source` and error messages."""

    kind: Literal["arguments", "environment", "file"]
    detail: str = ""  # the variable's name, or "profile 'x' in /path"

    def __str__(self) -> str:
        if self.kind == "environment":
            return f"environment ({self.detail})"
        return self.detail or self.kind

    def describe(self) -> str:
        """Short form for messages: "arguments", "DATABRICKS_HOST", "profile 'x' in /p"."""
        return self.detail or self.kind


@dataclass(frozen=True)
class _Value:
    value: str
    origin: _Origin


@dataclass
class _FileReport:
    """What happened to the config file, for the "where we looked" list."""

    path: Path | None
    status: str
    profile: str | None = None


_ARGUMENTS = _Origin("arguments")


def resolve(
    host: str | None = None,
    token: str | None = None,
    *,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Connection:
    """Finds a host and personal access token the way databricks-sdk would.

    `environ` defaults to `os.environ` and `home` (what `~` means) to `Path.home()`; tests pass
    both so nothing real is read.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, _Value] = {}
    for name, given in (("host", host), ("token", token), ("profile", profile)):
        if given is not None:
            values[name] = _Value(given, _ARGUMENTS)
    _load_env(values, env)
    try:
        report = _load_config_file(values, home)
        return _finish(values, env, report, (host, token, profile))
    except ConfigurationError as error:
        raise ConfigurationError(_scrub(str(error), values)) from None


def normalize_host(host: str) -> str:
    """The host as databricks-sdk fixes it, checked to be a usable http(s) base URL.

    Like the SDK: `https://` is added when there is no `://`, trailing slashes go, and `:443` is
    dropped (only for https here: the SDK also drops it from http URLs, which changes the port).
    Then the result must be http or https with a host name and no user, query or fragment.
    """
    if not host:
        raise ConfigurationError("the host is empty")
    fixed = host if "://" in host else "https://" + host
    shown = _shown_host(host)
    try:
        parsed = urllib.parse.urlparse(fixed)
        port = parsed.port
    except ValueError as error:
        # urllib names the port, never the rest of the URL.
        raise ConfigurationError(f"host {shown} is not a valid URL: {error}") from None
    netloc = parsed.netloc
    if port == 443 and parsed.scheme == "https":
        netloc = netloc.rsplit(":", 1)[0]
    fixed = urllib.parse.urlunparse(
        (
            parsed.scheme,
            netloc,
            parsed.path.rstrip("/"),
            parsed.params,
            parsed.query,
            parsed.fragment,
        )
    )
    _check_base_url(fixed, shown)
    return fixed


def from_sdk(obj: object) -> Connection:
    """Borrows a databricks-sdk `WorkspaceClient`'s (or `Config`'s) host and auth.

    For OAuth, Azure, Google or CLI logins: `config.authenticate` is called per request, so the
    SDK keeps refreshing its tokens.
    """
    try:
        import databricks.sdk as sdk  # optional: imported on use
        from databricks.sdk.core import Config
    except ImportError as error:
        raise ConfigurationError(
            "ServingClient.from_sdk needs databricks-sdk: pip install databricks-sdk"
        ) from error
    if isinstance(obj, Config):
        config = obj
    elif isinstance(obj, sdk.WorkspaceClient):
        config = obj.config
    else:
        raise ConfigurationError(
            "ServingClient.from_sdk expects a databricks.sdk.WorkspaceClient or a "
            f"databricks.sdk.core.Config, not {type(obj).__module__}.{type(obj).__qualname__}"
        )
    if not config.host:
        raise ConfigurationError("the databricks-sdk config has no host")
    auth_type = config.auth_type or "default"
    return Connection(
        host=normalize_host(config.host),
        header_factory=config.authenticate,
        auth_type=auth_type,
        source=f"databricks-sdk ({auth_type})",
        profile=config.profile or None,
    )


def _pat_header_factory(token: str) -> HeaderFactory:
    """Keeps the token in a closure, out of every field, `repr` and message."""

    def headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return headers


def _load_env(values: dict[str, _Value], env: Mapping[str, str]) -> None:
    """SDK `_load_from_env`: unset attributes only; empty variables don't count."""
    for attr in _ATTRS:
        if attr.name in values:
            continue
        for var in (attr.env, *attr.aliases):
            if env.get(var):
                values[attr.name] = _Value(env[var], _Origin("environment", var))
                break


def _load_config_file(values: dict[str, _Value], home: Path | None) -> _FileReport:
    """SDK `_known_file_config_loader`: fills unset attributes from one profile of the file."""
    requested = values["profile"].value if "profile" in values else None
    configured = any(values[n].value for n in ("host", *_AUTH_KIND) if n in values)
    config_file = values["config_file"].value if "config_file" in values else ""
    path = _expand(config_file or DEFAULT_CONFIG_FILE, home)
    if not requested and configured:
        return _FileReport(path, "not read, because a host or credentials were already set")
    if path is None:
        return _FileReport(None, f"{config_file or DEFAULT_CONFIG_FILE} (no home directory)")
    if not path.exists():
        return _FileReport(path, "does not exist")
    parser = _read_ini(path)
    if parser is None:
        return _FileReport(path, "exists but could not be read")
    chosen, why = _choose_profile(requested, values, parser)
    if chosen is None:
        return _FileReport(
            path, f"has no [{SETTINGS_SECTION}] default_profile and no [DEFAULT] profile"
        )
    profiles = _profiles(parser)
    if chosen not in profiles:
        listed = ", ".join(repr(p) for p in profiles) if profiles else "none"
        raise ConfigurationError(
            f"profile {chosen!r} ({why}) is not in {path}; the profiles there are: {listed}"
        )
    origin = _Origin("file", f"profile {chosen!r} in {path}")
    for key, value in profiles[chosen].items():
        if key not in values:
            values[key] = _Value(value, origin)
    keys = ", ".join(profiles[chosen]) or "no keys"
    return _FileReport(path, f"read profile {chosen!r} ({why}; keys: {keys})", chosen)


def _expand(path_text: str, home: Path | None) -> Path | None:
    """`Path.expanduser()`, with `~` meaning `home` when one is given."""
    if home is not None and (path_text == "~" or path_text.startswith(("~/", "~" + os.sep))):
        return home / path_text[2:]
    try:
        return Path(path_text).expanduser()
    except RuntimeError:  # no home directory to expand `~` to
        return None


def _read_ini(path: Path) -> configparser.ConfigParser | None:
    """Parses like the SDK (strict `ConfigParser`, raw values); None when it can't be opened."""
    parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULT_SECTION)
    try:
        read = parser.read(path, encoding="utf-8")
    # configparser quotes offending lines, which may hold a secret: name only line numbers.
    except configparser.MissingSectionHeaderError as error:
        raise ConfigurationError(
            f"{path} line {error.lineno}: a key comes before the first [section]"
        ) from None
    except configparser.DuplicateSectionError as error:
        raise ConfigurationError(
            f"{path} line {error.lineno}: section [{error.section}] appears twice"
        ) from None
    except configparser.DuplicateOptionError as error:
        raise ConfigurationError(
            f"{path} line {error.lineno}: key {error.option!r} appears twice in [{error.section}]"
        ) from None
    except configparser.ParsingError as error:
        lines = ", ".join(str(lineno) for lineno, _ in error.errors)
        raise ConfigurationError(f"{path} could not be parsed (line {lines})") from None
    except configparser.Error as error:
        raise ConfigurationError(f"{path} could not be parsed ({type(error).__name__})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path} is not UTF-8 text") from None
    return parser if read else None


def _choose_profile(
    requested: str | None, values: dict[str, _Value], parser: configparser.ConfigParser
) -> tuple[str | None, str]:
    """SDK `_resolve_profile`: the named profile, else the default_profile setting, else DEFAULT."""
    if requested is not None:
        source = values["profile"].origin
        why = "the profile argument" if source.kind == "arguments" else source.detail
        if requested == SETTINGS_SECTION:
            raise ConfigurationError(
                f"{SETTINGS_SECTION} is a reserved section name and cannot be used as a profile "
                f"(named by {why})"
            )
        return requested, f"named by {why}"
    settings = _section(parser, SETTINGS_SECTION)
    default_profile = settings.get("default_profile", "").strip()
    if default_profile:
        if default_profile == SETTINGS_SECTION:
            raise ConfigurationError(
                f"{SETTINGS_SECTION} is a reserved section name and cannot be used as a profile "
                f"(named by [{SETTINGS_SECTION}] default_profile)"
            )
        return default_profile, f"[{SETTINGS_SECTION}] default_profile"
    if _section(parser, DEFAULT_SECTION):
        return DEFAULT_SECTION, "the default"
    return None, ""


def _section(parser: configparser.ConfigParser, name: str) -> dict[str, str]:
    """A section's own keys (no DEFAULT merged in), or {} when there is no such section."""
    return dict(parser.items(name, raw=True)) if parser.has_section(name) else {}


def _profiles(parser: configparser.ConfigParser) -> dict[str, dict[str, str]]:
    """The file's profiles as the SDK sees them: no `__settings__`, DEFAULT only when not empty."""
    profiles = {
        name: _section(parser, name)
        for name in parser.sections()
        if name not in (SETTINGS_SECTION, DEFAULT_SECTION)
    }
    if default := _section(parser, DEFAULT_SECTION):
        profiles[DEFAULT_SECTION] = default
    return profiles


def _finish(
    values: dict[str, _Value],
    env: Mapping[str, str],
    report: _FileReport,
    arguments: tuple[str | None, str | None, str | None],
) -> Connection:
    """The SDK's checks after loading, in its order: host, clashing methods, then PAT auth."""
    host_value = values.get("host")
    host = normalize_host(host_value.value) if host_value and host_value.value else ""
    auth_type_value = values.get("auth_type")
    auth_type = auth_type_value.value if auth_type_value else ""
    used = {kind for name, kind in _AUTH_KIND.items() if name in values}
    hint = _from_sdk_hint(report)
    if len(used) > 1 and not auth_type:
        clash = "; ".join(
            f"{name} from {values[name].origin.describe()}" for name in _AUTH_KIND if name in values
        )
        raise ConfigurationError(
            "more than one authorization method is configured: "
            f"{' and '.join(sorted(used))} ({clash}). databricks-sdk refuses this too. Remove "
            "all but one, set DATABRICKS_AUTH_TYPE=pat to use the token, or for the other "
            f"method use {hint}"
        )
    if auth_type and auth_type != "pat":
        where = auth_type_value.origin.describe() if auth_type_value else ""
        raise ConfigurationError(
            f"auth_type {auth_type!r} (from {where}) is not a personal access token; use {hint}"
        )
    group = values.get("group_id")
    if group and group.value:
        raise ConfigurationError(
            f"group_id (from {group.origin.describe()}) asks for a group role, which a personal "
            f"access token cannot assume; use {hint}"
        )
    token_value = values.get("token")
    token = token_value.value if token_value else ""
    others = sorted(used - {"pat"})
    if not token and others and auth_type != "pat":
        names = ", ".join(
            f"{n} from {values[n].origin.describe()}"
            for n in _AUTH_KIND
            if n in values and n != "token"
        )
        raise ConfigurationError(
            f"the configuration is for {' and '.join(others)} authentication ({names}), "
            f"not a personal access token; use {hint}"
        )
    if host_value is None or token_value is None or not host or not token:
        raise ConfigurationError(_missing_message(values, env, report, arguments, hint))
    _check_token(token, token_value.origin)
    return Connection(
        host=host,
        header_factory=_pat_header_factory(token),
        auth_type="pat",
        source=_source(host_value.origin, token_value.origin),
        profile=report.profile,
    )


def _missing_message(
    values: dict[str, _Value],
    env: Mapping[str, str],
    report: _FileReport,
    arguments: tuple[str | None, str | None, str | None],
    hint: str,
) -> str:
    """Says what is missing and lists every place looked, naming values' sources, not values."""
    missing = [n for n in ("host", "token") if not (n in values and values[n].value)]
    lines = [f"No Databricks {' or '.join(missing)} found. Looked in:"]
    host, token, profile = arguments
    given = [
        f"host {_given(host)}",
        f"token {_given(token)}",
        f"profile {profile!r}" if profile is not None else "profile not given",
    ]
    lines.append(f"  - arguments: {', '.join(given)}")
    variables = [f"{var} {_env_state(env, var, show=False)}" for var in _LISTED_ENV[:2]]
    variables += [
        f"{var} {_env_state(env, var, show=True)}"
        for var in ("DATABRICKS_CONFIG_PROFILE", "DATABRICKS_CONFIG_FILE")
    ]
    lines.append(f"  - environment: {', '.join(variables)}")
    others = [
        var
        for attr in _ATTRS
        for var in (attr.env, *attr.aliases)
        if var not in (*_LISTED_ENV, "DATABRICKS_CONFIG_FILE") and env.get(var)
    ]
    if others:
        lines.append(f"    (also set: {', '.join(others)})")
    where = report.path if report.path is not None else "config file"
    lines.append(f"  - config file {where}: {report.status}")
    for name in missing:
        value = values.get(name)
        if value is not None:
            lines.append(f"  ({name} from {value.origin.describe()} is empty)")
    if report.profile is not None and "token" in missing:
        lines.append(
            f"Profile {report.profile!r} has no token. If it signs in another way (OAuth, "
            f"`databricks auth login`, Azure), use {hint}."
        )
    else:
        lines.append(
            "Pass host= and token=, set DATABRICKS_HOST and DATABRICKS_TOKEN, or add host and "
            f"token to a profile in {where}. For other kinds of sign-in use {hint}."
        )
    return "\n".join(lines)


def _given(value: str | None) -> str:
    if value is None:
        return "not given"
    return "given" if value else "given but empty"


def _env_state(env: Mapping[str, str], var: str, *, show: bool) -> str:
    if var not in env:
        return "not set"
    if not env[var]:
        return "set but empty (ignored)"
    return f"= {env[var]!r}" if show else "set"


def _from_sdk_hint(report: _FileReport) -> str:
    profile = f"profile={report.profile!r}" if report.profile else ""
    return f"ServingClient.from_sdk(WorkspaceClient({profile}))"


def _source(host: _Origin, token: _Origin) -> str:
    """ "arguments", "environment (DATABRICKS_HOST, DATABRICKS_TOKEN)", "profile 'x' in /p", ..."""
    if host == token:
        return host.detail or host.kind
    if host.kind == token.kind == "environment":
        return f"environment ({host.detail}, {token.detail})"
    return f"host from {host}, token from {token}"


def _check_token(token: str, origin: _Origin) -> None:
    """A token that can't be a header value would make requests quote it in an exception."""
    if token != token.strip() or any(ord(c) < 32 or ord(c) == 127 for c in token):
        raise ConfigurationError(
            f"the token from {origin.describe()} has surrounding whitespace or control "
            "characters; check how it was copied"
        )


def _check_base_url(url: str, shown: str) -> None:
    """Requests go to `{host}/api/...`: http(s), a host name, nothing that breaks joining."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https"):
        raise ConfigurationError(f"host {shown} must be an http:// or https:// URL")
    if "@" in parsed.netloc:
        raise ConfigurationError("the host must not contain a user name or password")
    if not parsed.hostname or any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigurationError(f"host {shown} has no valid host name")
    if parsed.params or parsed.query or parsed.fragment:
        raise ConfigurationError(f"host {shown} must not have a query, fragment or parameters")


def _shown_host(host: str) -> str:
    """The host for a message, with any user name and password left out."""
    if "@" in host:
        return "(containing a user name or password, not shown)"
    return repr(host)


def _scrub(message: str, values: dict[str, _Value]) -> str:
    """Masks every secret we hold, in case one was passed where a non-secret was expected."""
    for name in _SECRETS:
        value = values.get(name)
        if value is not None and len(value.value) >= 4:
            message = message.replace(value.value, "***")
    return message

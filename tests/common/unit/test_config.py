"""Service configuration: substitution from the environment and validation naming the key."""

from pathlib import Path

import pytest

from sanbao_common.config import ConfigError, load_config, redact_url, substitute
from sanbao_common.crypto import new_signing_key, public_key_text

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("registry", "dispatch", "fund", "settlement", "notify")
# The public half of a freshly generated Ed25519 key: every service needs one to check tokens.
KEY = public_key_text(new_signing_key())
ENV = {"TOKEN_PUBLIC_KEYS": KEY, "FUND_CHECKPOINT_PUBLIC_KEYS": KEY}


def test_substitution_takes_the_environment_then_the_default():
    assert substitute("${A:1}", {"A": "x"}) == "x"
    assert substitute("${A:1}", {}) == "1"
    assert substitute("pre-${A}-post", {"A": "x"}) == "pre-x-post"


def test_an_empty_variable_counts_as_unset():
    assert substitute("${A:fallback}", {"A": ""}) == "fallback"


def test_defaults_nest():
    text = "amqp://h/sanbao-${COUNTY:532501}"
    assert substitute("${AMQP_URI:" + text + "}", {}) == "amqp://h/sanbao-532501"
    assert substitute("${AMQP_URI:" + text + "}", {"COUNTY": "532503"}) == "amqp://h/sanbao-532503"
    assert substitute("${AMQP_URI:" + text + "}", {"AMQP_URI": "amqp://x/y"}) == "amqp://x/y"


def test_a_default_may_contain_colons():
    assert substitute("${ADDR:127.0.0.1:8101}", {}) == "127.0.0.1:8101"


def test_a_variable_without_default_must_be_set():
    with pytest.raises(ConfigError, match="environment variable SECRET is not set"):
        substitute("${SECRET}", {}, key="fund.KEY")


@pytest.mark.parametrize("text", ["${", "${A", "${A:b", "${-x}"])
def test_malformed_placeholders_are_refused(text):
    with pytest.raises(ConfigError):
        substitute(text, {})


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_file_is_valid_with_its_defaults(service):
    config = load_config(ROOT / "services" / service / "config.yml", service, environ=ENV)
    assert config["COUNTY"] == "532501"
    assert config["AMQP_URI"].endswith("/sanbao-532501")
    assert config[service]["DATABASE_URL"].endswith(f"/532501/{service}.sqlite")
    assert isinstance(config["RPC_TIMEOUT_SECONDS"], float)
    assert isinstance(config["max_workers"], int)


def test_the_county_reaches_the_vhost_and_the_database_path():
    config = load_config(
        ROOT / "services/registry/config.yml", "registry", environ={"COUNTY": "532528", **ENV}
    )
    assert config["AMQP_URI"].endswith("/sanbao-532528")
    assert "/532528/registry.sqlite" in config["registry"]["DATABASE_URL"]


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"COUNTY": "5325"}, "COUNTY"),
        ({"COUNTY": "532500"}, "COUNTY"),  # a prefecture, not a county
        ({"AMQP_URI": "http://example"}, "AMQP_URI"),
        ({"AMQP_URI": "amqp://127.0.0.1:5672/sanbao-532501"}, "AMQP_URI"),  # guest, by default
        ({"RPC_TIMEOUT_SECONDS": "soon"}, "RPC_TIMEOUT_SECONDS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"REGISTRY_MAX_WORKERS": "0"}, "max_workers"),
        ({"REGISTRY_DATABASE_URL": "mysql://x/y"}, "registry.DATABASE_URL"),
        ({"REGISTRY_HTTP_ADDRESS": "8101"}, "registry.HTTP_ADDRESS"),
        ({"REGISTRY_HTTP_ADDRESS": "127.0.0.1:70000"}, "registry.HTTP_ADDRESS"),
        ({"TOKEN_PUBLIC_KEYS": ""}, "TOKEN_PUBLIC_KEYS"),
        ({"TOKEN_PUBLIC_KEYS": "bm90IGEga2V5"}, "TOKEN_PUBLIC_KEYS"),
        ({"INBOX_RETENTION_DAYS": "20"}, "INBOX_RETENTION_DAYS"),
        ({"LOGIN_MAX_FAILURES": "0"}, "registry.LOGIN_MAX_FAILURES"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(environ, key):
    with pytest.raises(ConfigError) as caught:
        load_config(ROOT / "services/registry/config.yml", "registry", environ={**ENV, **environ})
    assert f"{key}:" in str(caught.value)
    assert "registry/config.yml" in str(caught.value)


def test_an_unknown_or_missing_key_is_named(tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(
        "COUNTY: '532501'\nAMQP_URI: amqp://u:p@h/v\nRPC_TIMEOUT_SECONDS: 5\nLOG_LEVEL: INFO\n"
        f"max_workers: 4\nMAX_WORKER: 3\nTOKEN_PUBLIC_KEYS: {KEY}\nregistry:\n"
        "  HTTP_ADDRESS: 127.0.0.1:1\n  TOKEN_SIGNING_KEY_FILE: x\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, "registry", environ={})
    assert "MAX_WORKER: Unknown field" in str(caught.value)
    assert "registry.DATABASE_URL: Missing data" in str(caught.value)


def test_an_unreadable_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yml", "registry", environ={})
    (tmp_path / "broken.yml").write_text("COUNTY: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "broken.yml", "registry", environ={})


def test_passwords_never_appear_in_messages():
    assert (
        redact_url("postgresql://fund:s3cret@db:5432/fund") == "postgresql://fund:***@db:5432/fund"
    )
    assert redact_url("sqlite:////var/x.sqlite") == "sqlite:////var/x.sqlite"


def test_registry_refuses_to_start_without_the_funds_pinned_checkpoint_key():
    """Without it the county's witness would keep no checkpoint, and verify would have nothing
    out of the fund's reach to check its chain against."""
    environ = {"TOKEN_PUBLIC_KEYS": KEY}
    with pytest.raises(ConfigError, match="FUND_CHECKPOINT_PUBLIC_KEYS: no fund checkpoint key"):
        load_config(ROOT / "services/registry/config.yml", "registry", environ=environ)


def test_a_registrar_key_that_is_not_a_key_is_refused():
    environ = dict(ENV, SEAL_REGISTRAR_KEYS="not-a-key")
    with pytest.raises(ConfigError, match="SEAL_REGISTRAR_KEYS"):
        load_config(ROOT / "services/fund/config.yml", "fund", environ=environ)

"""Keys, endpoints and models from the environment or the user's config file; prices; a missing
key is one clear line from the CLI, before any run is created."""

from __future__ import annotations

import pytest
from llm_fixtures import model_env_fixture  # noqa: F401  (the model_env fixture)

from mlestar_lab.cli.main import main
from mlestar_lab.errors import UserError
from mlestar_lab.llm.pricing import Price, price_of
from mlestar_lab.llm.settings import OPENAI_DEFAULT_BASE_URL, resolve_settings

pytestmark = pytest.mark.usefixtures("model_env")


def test_gemini_key_from_the_environment_google_api_key_wins(monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key-value")
    assert resolve_settings("gemini").api_key == "gemini-key-value"
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key-value")
    settings = resolve_settings("gemini", "gemini-2.5-flash")
    assert settings.api_key == "google-key-value" and settings.model == "gemini-2.5-flash"
    assert "google-key-value" not in repr(settings), "keys stay out of reprs (and so out of logs)"


def test_settings_from_the_config_file(model_env):
    model_env.write_text(
        '[gemini]\napi_key = "from-the-file"\nmodel = "gemini-2.5-pro"\n'
        '[openai]\nbase_url = "http://127.0.0.1:11434/v1"\nmodel = "llama3.1"\n'
        '[llm]\ntimeout = 30\nretries = 3\n[prices."llama3.1"]\ninput = 0.5\noutput = 1.5\n',
        encoding="utf-8",
    )
    gemini = resolve_settings("gemini")
    assert (gemini.api_key, gemini.model, gemini.timeout, gemini.retry.attempts) == (
        "from-the-file",
        "gemini-2.5-pro",
        30.0,
        3,
    )
    local = resolve_settings("openai")
    assert local.api_key == "" and local.base_url == "http://127.0.0.1:11434/v1" and local.model == "llama3.1"
    assert local.prices["llama3.1"] == Price(0.5, 1.5)


def test_missing_keys_say_where_to_put_them(model_env):
    with pytest.raises(UserError, match=r"export GEMINI_API_KEY .* or set api_key under \[gemini\]"):
        resolve_settings("gemini")
    with pytest.raises(UserError, match=r"export OPENAI_API_KEY, .* for a local server set OPENAI_BASE_URL"):
        resolve_settings("openai")
    local = resolve_settings("openai", environ={"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert local.api_key == "" and local.base_url != OPENAI_DEFAULT_BASE_URL, "a local server needs no key"


def test_a_broken_config_file_is_named(model_env):
    model_env.write_text("[gemini\napi_key = 1", encoding="utf-8")
    with pytest.raises(UserError, match=f"cannot read the config file {model_env}"):
        resolve_settings("gemini")
    model_env.write_text('[prices."m"]\ninput = 1\n', encoding="utf-8")
    with pytest.raises(UserError, match=r'prices."m".* needs input and output'):
        resolve_settings("openai", environ={"OPENAI_API_KEY": "k", "MLESTAR_CONFIG": str(model_env)})


def test_the_cli_refuses_an_llm_strategist_without_a_key(tmp_path, demo_task_dir, capsys):
    code = main(["--workspace", str(tmp_path / "ws"), "run", str(demo_task_dir), "--strategist", "gemini"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("mlestar: the gemini strategist needs an API key: export GEMINI_API_KEY")
    assert not list((tmp_path / "ws").glob("runs/*")), "no run is created"


def test_prices_longest_prefix_user_overrides_and_free_local_models():
    assert price_of("gemini-2.5-flash-lite") == Price(0.10, 0.40)
    assert price_of("gemini-2.5-flash-preview-09-2025") == Price(0.30, 2.50)
    assert price_of("models/gemini-2.5-pro") == Price(1.25, 10.0)
    assert price_of("llama3.1") == Price(0.0, 0.0)
    assert price_of("gpt-4o", {"gpt-4o": Price(1.0, 2.0)}) == Price(1.0, 2.0)
    assert Price(1.25, 10.0).cost(1_000_000, 100_000) == pytest.approx(2.25)


def test_a_run_pins_the_resolved_model_and_stores_no_key(tmp_path, demo_task_dir, monkeypatch):
    from mlestar_lab.agent.config import RunConfig
    from mlestar_lab.agent.lifecycle import create_run
    from mlestar_lab.store.store import RunStore
    from mlestar_lab.store.workspace import Workspace

    monkeypatch.setenv("GEMINI_API_KEY", "pinned-model-test-key")
    monkeypatch.setenv("GEMINI_MODEL", "gemini-2.5-flash")
    ws = Workspace(tmp_path / "ws")
    run = create_run(ws, RunStore(ws.db_path), demo_task_dir, RunConfig(strategist="gemini"))
    assert run.model == "gemini-2.5-flash" and run.config["model"] == "gemini-2.5-flash"
    assert "pinned-model-test-key" not in run.model_dump_json()

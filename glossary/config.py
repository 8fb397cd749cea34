"""The one configuration object, built in one place from the environment and Argos'
settings.json."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from glossary.errors import ConfigError

DEFAULT_INDEX_URL = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"


def _argos_settings_file(env: Mapping[str, str], home: Path) -> dict[str, Any]:
    """Argos lets users keep ARGOS_* settings in a JSON file; read it so both tools agree."""
    config_home = Path(env.get("XDG_CONFIG_HOME", home / ".config"))
    path = config_home / "argos-translate" / "settings.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {key}={raw!r} is not an integer") from None


def _seconds(env: Mapping[str, str], key: str, default: float) -> float:
    """A positive number of seconds; nan, inf and 0 would make every wait hang or fail."""
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError(f"environment variable {key}={raw!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"environment variable {key}={raw!r} must be a positive number")
    return number


_YES, _NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


def _flag(env: Mapping[str, str], key: str) -> bool:
    """Refuses what is neither yes nor no: a misspelt "ture" must not quietly mean off."""
    raw = env.get(key, "")
    if raw.strip().lower() not in _YES + _NO:
        raise ConfigError(
            f"environment variable {key}={raw!r} must be one of {', '.join(_YES + _NO[:-1])}"
        )
    return raw.strip().lower() in _YES


DEVICES = ("cpu", "cuda", "auto")


class _ArgosSettings:
    """ARGOS_* settings with argostranslate's precedence: the environment, then its
    settings.json, then the default. Bad values raise ConfigError naming the setting and where
    its value came from."""

    def __init__(self, env: Mapping[str, str], home: Path) -> None:
        self._env = env
        self._file = _argos_settings_file(env, home)
        config_home = Path(env.get("XDG_CONFIG_HOME", home / ".config"))
        self._file_name = str(config_home / "argos-translate" / "settings.json")

    def _raw(self, key: str) -> tuple[str | None, str]:
        # As argostranslate: a variable that is set wins even when empty (empty: the default).
        value: Any
        if key in self._env:
            value, where = self._env[key], f"environment variable {key}"
        else:
            value, where = self._file.get(key), f"{key} in {self._file_name}"
        return (None, "") if value in (None, "") else (str(value), where)

    def text(self, key: str, default: str) -> str:
        value, _where = self._raw(key)
        return default if value is None else value

    def integer(self, key: str, default: int, minimum: int) -> int:
        value, where = self._raw(key)
        if value is None:
            return default
        try:
            number = int(value.strip())
        except ValueError:
            raise ConfigError(f"{where}={value!r} is not an integer") from None
        if number < minimum:
            raise ConfigError(f"{where}={value!r} must be at least {minimum}")
        return number

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value, where = self._raw(key)
        if value is None:
            return default
        if value.strip().lower() not in choices:
            raise ConfigError(f"{where}={value!r} must be one of {', '.join(choices)}")
        return value.strip().lower()


@dataclass(frozen=True)
class Settings:
    """Everything configurable. Paths follow argostranslate's conventions so `argospm` and we
    share one package directory."""

    packages_dir: Path
    downloads_dir: Path
    index_url: str
    terms_dir: Path
    beam_size: int = 4
    batch_size: int = 32
    intra_threads: int = 0  # 0: CTranslate2 chooses (argostranslate's default)
    inter_threads: int = 1
    compute_type: str = "auto"
    device: str = "cpu"  # cpu | cuda | auto (cuda when CTranslate2 sees a GPU)
    network_timeout: float = 10.0
    max_chars: int = 200_000
    host: str = "127.0.0.1"
    port: int = 5000
    api_keys: tuple[str, ...] = ()  # empty: no key needed anywhere
    keys_for_translate: bool = False  # with keys configured: also for translating and reading
    secret_key: str = field(default="", repr=False)  # signs web sessions; empty: kept in state_dir
    # accounts, API keys, owners of DeepL glossaries, default glossaries, the session secret
    state_dir: Path = Path("var/state")
    public_url: str = ""  # e.g. https://glossary.example/ ; empty: redirects stay relative
    # The scheduler (glossary/scheduler.py): a request's time limit, how many requests may be
    # in flight before the answer is 429, and a batch's token budget and longest wait.
    deadline: float = 60.0
    job_deadline: float = 3600.0
    max_requests: int = 64
    batch_tokens: int = 2048
    batch_wait_ms: int = 5
    # Jobs (glossary/jobs.py): empty: the embedded SQLite queue in state_dir; a Redis URL
    # (redis://HOST:6379/0): the RQ queue there, worked by `glossary worker` processes.
    queue_url: str = field(default="", repr=False)  # may carry a password

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("HOME", str(Path.home())))
        argos = _ArgosSettings(env, home)
        setting = argos.text

        data_dir = Path(env.get("XDG_DATA_HOME", home / ".local" / "share")) / "argos-translate"
        cache_dir = Path(env.get("XDG_CACHE_HOME", home / ".local" / "cache")) / "argos-translate"
        index = setting("ARGOS_PACKAGE_INDEX", DEFAULT_INDEX_URL)
        settings = cls(
            packages_dir=Path(setting("ARGOS_PACKAGES_DIR", str(data_dir / "packages"))),
            downloads_dir=cache_dir / "downloads",
            index_url=index if index.endswith(".json") else index.rstrip("/") + "/index.json",
            terms_dir=Path(env.get("GLOSSARY_TERMS_DIR", "terms")),
            beam_size=argos.integer("ARGOS_BEAM_SIZE", 4, minimum=1),
            batch_size=argos.integer("ARGOS_BATCH_SIZE", 32, minimum=1),
            intra_threads=argos.integer("ARGOS_INTRA_THREADS", 0, minimum=0),
            inter_threads=argos.integer("ARGOS_INTER_THREADS", 1, minimum=1),
            compute_type=setting("ARGOS_COMPUTE_TYPE", "auto"),
            device=argos.choice("ARGOS_DEVICE_TYPE", "cpu", DEVICES),
            network_timeout=_seconds(env, "GLOSSARY_NETWORK_TIMEOUT", 10.0),
            max_chars=_int(env, "GLOSSARY_MAX_CHARS", 200_000),
            host=env.get("GLOSSARY_HOST", "127.0.0.1"),
            port=_int(env, "GLOSSARY_PORT", 5000),
            api_keys=tuple(
                k.strip() for k in env.get("GLOSSARY_API_KEYS", "").split(",") if k.strip()
            ),
            secret_key=env.get("GLOSSARY_SECRET_KEY", ""),
            state_dir=Path(env.get("GLOSSARY_STATE_DIR", "var/state")),
            public_url=env.get("GLOSSARY_PUBLIC_URL", ""),
            deadline=float(_int(env, "GLOSSARY_DEADLINE", 60)),
            job_deadline=float(_int(env, "GLOSSARY_JOB_DEADLINE", 3600)),
            max_requests=_int(env, "GLOSSARY_MAX_REQUESTS", 64),
            batch_tokens=_int(env, "GLOSSARY_BATCH_TOKENS", 2048),
            batch_wait_ms=_int(env, "GLOSSARY_BATCH_WAIT_MS", 5),
            queue_url=env.get("GLOSSARY_QUEUE_URL", "").strip(),
            keys_for_translate=_flag(env, "GLOSSARY_KEYS_FOR_TRANSLATE"),
        )
        return replace(settings, **overrides)

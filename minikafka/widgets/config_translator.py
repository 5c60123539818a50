"""`ConfigTranslator`: type a minikafka client config (Java client names) and see, setting by
setting, what the Java client (and minikafka) does with it, what librdkafka (confluent-kafka)
does with the same dict unchanged, and what your `port_config` (exercise 11.1) writes.

Rules:
- The settings shown are the ones the config sets, plus those whose default differs between
  the two clients (`lessons.nb11.JAVA_DEFAULTS`, and `enable.idempotence` for a producer).
- Java column: the config's value, else the Java client's default; `enable.idempotence` unset
  is decided as the Java client does (`idempotence_by_default`).
- librdkafka column, for the dict passed as it is: a key librdkafka does not know (renamed or
  missing there) or `auto.offset.reset=none` is a configuration error, a key it has only for the
  other role is ignored with a warning; else the config's value, else librdkafka's default
  (`LIBRDKAFKA_DEFAULTS`).
- Ported column: what `port` (your port_config) writes under librdkafka's name; while it is an
  unfinished stub, "[todo]".
- `compare_clients` and `comparison_table` are pure: the widget only parses and shows. It
  refreshes when a preset is clicked, the role changes, or the typed config is committed
  (Enter, or leaving the box).
"""
from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from minikafka.course.lessons.nb11 import JAVA_DEFAULTS, NOT_IN_LIBRDKAFKA, RENAMED, idempotence_by_default
from minikafka.widgets._base import _guarded, _pre, _View, _w

# librdkafka's defaults where they differ from the Java client's (librdkafka's CONFIGURATION.md)
LIBRDKAFKA_DEFAULTS: dict[str, dict[str, Any]] = {
    "producer": {"partitioner": "consistent_random", "batch.size": 1000000, "delivery.timeout.ms": 300000,
                 "max.in.flight.requests.per.connection": 1000000, "enable.idempotence": False},
    "consumer": {"isolation.level": "read_committed"},
}
ERROR = "ERROR: unknown key"
IGNORED = {"producer": (), "consumer": ("request.timeout.ms",)}     # known to librdkafka, not for this role
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "orders_app producer": ("producer", {"acks": "all", "linger.ms": 5}),
    "acks=1 producer": ("producer", {"acks": "1"}),
    "transactional producer": ("producer", {"transactional.id": "payments-app", "max.block.ms": 1000}),
    "orders_app consumer": ("consumer", {"auto.offset.reset": "earliest", "enable.auto.commit": False,
                                         "group.id": "billing"}),
    "strict consumer": ("consumer", {"group.id": "ledger", "auto.offset.reset": "none", "max.poll.records": 10,
                                     "fetch.max.wait.ms": 100}),
}


class Row(NamedTuple):
    setting: str
    java: str           # what the Java client (and minikafka) uses
    librdkafka: str     # what librdkafka does with the dict unchanged
    ported: str         # what port_config writes (under librdkafka's name), or "[todo]"

    @property
    def same(self) -> bool:
        return self.java == self.librdkafka


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _java(config: Mapping[str, Any], role: str, key: str) -> Any:
    if key in config:
        return config[key]
    if key == "enable.idempotence":
        return idempotence_by_default(config)
    return JAVA_DEFAULTS[role].get(key, "-")


def _librdkafka(config: Mapping[str, Any], role: str, key: str) -> Any:
    if key in config and key in IGNORED[role]:
        return "ignored (warning)"
    if key in config and (key in RENAMED or key in NOT_IN_LIBRDKAFKA[role]):
        return ERROR
    if key == "auto.offset.reset" and config.get(key) == "none":
        return "ERROR: bad value"
    if key in config:
        return config[key]
    return LIBRDKAFKA_DEFAULTS[role].get(key, "-")


def compare_clients(config: Mapping[str, Any], role: str,
                    port: Callable[..., dict[str, Any]] | None = None) -> list[Row]:
    """Rules 1-4: one row per setting, in the config's order, then the differing defaults."""
    if role not in JAVA_DEFAULTS:
        raise ValueError(f"role must be 'producer' or 'consumer', got {role!r}")
    keys = [k for k in config if k != "bootstrap.servers"]
    extra = list(JAVA_DEFAULTS[role]) + (["enable.idempotence"] if role == "producer" else [])
    keys += [k for k in extra if k not in keys]
    try:
        ported: dict[str, Any] | None = port(dict(config), role, "localhost:9092") if port else None
    except NotImplementedError:
        ported = None
    rows = []
    for key in keys:
        if ported is None:
            mine = "[todo]"
        else:
            name = RENAMED.get(key, key)
            shown = _show(ported[name]) if name in ported else ""
            mine = "(left out)" if name not in ported else f"{name}={shown}" if name != key else shown
        rows.append(Row(key, _show(_java(config, role, key)), _show(_librdkafka(config, role, key)), mine))
    return rows


def comparison_table(config: Mapping[str, Any], role: str, port: Callable[..., dict[str, Any]] | None = None) -> str:
    """The rows as text, at most 100 columns wide; `!` marks a setting where the two clients
    would behave differently with the same dict."""
    rows = compare_clients(config, role, port)
    w1 = max([len(r.setting) for r in rows] + [7]) + 2
    w2 = max([len(r.java) for r in rows] + [11]) + 2
    w3 = max([len(r.librdkafka) for r in rows] + [17]) + 2
    lines = textwrap.wrap(f"{role} config {dict(config)!r}", 100, subsequent_indent="    ")
    lines.append(f"  {'setting':<{w1}}{'Java client':<{w2}}{'librdkafka, as is':<{w3}}port_config")
    for r in rows:
        mark = " " if r.same else "!"
        lines.append(f"{mark} {r.setting:<{w1}}{r.java:<{w2}}{r.librdkafka:<{w3}}{r.ported}"[:100])
    differ = sum(1 for r in rows if not r.same)
    lines.append(f"{differ} of {len(rows)} settings differ (!) if you pass the dict to confluent-kafka unchanged")
    return "\n".join(lines)


def parse_config(text: str) -> dict[str, Any]:
    """A config typed as a Python dict literal."""
    value = ast.literal_eval(text.strip() or "{}")
    if not isinstance(value, dict):
        raise ValueError(f"a config is a dict, got {type(value).__name__}")
    return value


class ConfigTranslator(_View):
    """One client config, two clients: the Java client's behaviour against librdkafka's."""

    def __init__(self, port: Callable[..., dict[str, Any]] | None = None, preset: str = "acks=1 producer") -> None:
        W = _w()
        self.port = port
        role, config = PRESETS[preset]
        self.role = W.ToggleButtons(options=["producer", "consumer"], value=role, description="role",
                                    style={"button_width": "100px"})
        self.config = W.Textarea(value=repr(config), description="config", continuous_update=False,
                                 layout=W.Layout(width="640px", height="60px"))
        self.presets = [W.Button(description=name, layout=W.Layout(width="190px")) for name in PRESETS]
        self.text = W.HTML()
        self.out = W.Output(layout=W.Layout(max_height="80px", overflow="auto"))
        for button in self.presets:
            button.on_click(self._preset)
        self.role.observe(lambda _: self.refresh(), names="value")
        self.config.observe(lambda _: self.refresh(), names="value")     # on Enter or leaving the box
        self.box = W.VBox([W.HBox(self.presets[:3]), W.HBox(self.presets[3:]), self.role, self.config,
                           self.out, self.text])
        self.refresh()

    @property
    def table(self) -> str:
        return comparison_table(parse_config(self.config.value), self.role.value, self.port)

    @_guarded
    def refresh(self) -> None:
        self.text.value = _pre(self.table)

    @_guarded
    def _preset(self, button: Any) -> None:
        role, config = PRESETS[button.description]
        with self.config.hold_trait_notifications(), self.role.hold_trait_notifications():
            self.config.value = repr(config)
            self.role.value = role
        self.refresh()

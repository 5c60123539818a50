"""What every lab shares: the lazy ipywidgets import, the `<pre>` text view, the guard that
shows a callback's error in the widget, the display hook and the crash/restart buttons.

Rules:
- ipywidgets is imported when a widget is built (`_w()`), never by `import minikafka.widgets`;
  IPython only when a widget is displayed.
- `.box` is what a notebook shows; so does displaying the widget object itself
  (`_ipython_display_`).
- Pictures go into `ipywidgets.Image` (`_image()`, PNG from `viz`), text into `HTML` (`_pre`);
  messages and errors of a callback go into the widget's `Output` (`.out`, via `say`), never to
  stdout. A callback wrapped in `_guarded` shows its exception there instead of losing it.
- An error is said in the learner's words (`explain`): what is not possible now and what to do
  instead, with Kafka's error name and message after it in small print. A button whose action
  is not possible in the current state is marked unavailable (`set_buttons`): greyed text, a
  tooltip saying why, and a click that says why in the Output instead of acting. It is not
  disabled, so that every control can be tried, and trying it teaches something.
- `_BrokerControls`: Crash and Restart act on the broker chosen in `.broker`, with power loss
  when the lab has a ticked `.power_loss` checkbox. A lab that calls `_watch_brokers()` also
  disables Crash for a broker that is down and Restart for one that is up (`broker_buttons`).
"""
from __future__ import annotations

import functools
import html
import re
import textwrap
from typing import Any, Callable

from minikafka.cluster import Cluster


WIDTH = 100        # columns of a message line in a lab's Output
UNAVAILABLE_TEXT = "#a0a0a0"       # the text of a button whose action is not possible now


def _w() -> Any:
    import ipywidgets
    return ipywidgets


def _pre(text: str) -> str:
    return ('<pre style="font-size: 12px; line-height: 1.3; margin: 0">' + html.escape(text) + "</pre>")


# (Kafka's error name, a pattern of its message, what to tell the learner); the first match wins
PLAIN_WORDS: tuple[tuple[str, str, str], ...] = (
    ("_STATE", r"from state (READY|UNINITIALIZED) to state (COMMITTING|ABORTING)",
     "no transaction is open: press Begin first"),
    ("_STATE", r"Cannot produce in state READY",
     "no transaction is open: press Begin first (a transactional producer writes only inside one)"),
    ("_STATE", r"from state IN_TRANSACTION to state IN_TRANSACTION",
     "a transaction is already open: produce into it, then Commit or Abort it"),
    ("_STATE", r"ABORTABLE_ERROR|call abort_transaction",
     "this transaction failed: it can only be aborted (press Abort)"),
    ("_STATE", r"", "that is not possible in this producer's current state"),
    ("PRODUCER_FENCED", r"",
     "this instance is a zombie: a newer instance with the same transactional.id fenced it, so its "
     "transactions are refused; act as the newest instance"),
    ("INVALID_PRODUCER_EPOCH", r"",
     "this instance is a zombie: a newer instance with the same transactional.id fenced it"),
    ("_TIMED_OUT", r"not present in metadata",
     "no broker answered: the producer could not find the topic within max.block.ms; "
     "restart a broker first"),
    ("_TIMED_OUT", r"", "no answer in time: is a broker down, or a link cut?"),
)


def explain(e: BaseException) -> tuple[str, str]:
    """An exception as (what to tell the learner, Kafka's name and message for the small print).
    A KafkaException gets plain words from `PLAIN_WORDS` when one matches (else its own message);
    any other exception's message is already plain words (no type name, no small print)."""
    error = getattr(e, "error", None)
    name = error.name() if error is not None and callable(getattr(error, "name", None)) else None
    if name is None:
        return str(e) or type(e).__name__, ""
    message = error.str() if callable(getattr(error, "str", None)) else str(e)
    for code, pattern, words in PLAIN_WORDS:
        if code == name and re.search(pattern, message):
            return words, f"Kafka: {name}: {message}"
    return message or name, f"Kafka: {name}"


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """A callback whose errors are shown in the widget's Output, in the learner's words
    (`explain`), instead of being lost in the log console (where a learner never sees them)."""
    @functools.wraps(method)
    def run(self: "_View", *args: Any) -> None:
        why = getattr(args[0], "unavailable_why", "") if args else ""
        if why:                            # an unavailable button says why instead of acting
            self.say(f"not now: {why}")
            return
        try:
            method(self, *args)
        except Exception as e:             # a learner's click must never fail silently
            words, small = explain(e)
            self.say(words, error=True, detail=small)
    return run


def broker_buttons(up: bool) -> dict[str, tuple[bool, str]]:
    """Crash and Restart for the chosen broker: (enabled, tooltip)."""
    return {"crash": (up, "crash this broker" if up else "this broker is down already: Restart it"),
            "restart": (not up, "this broker is running: Crash it first" if up else "restart this broker")}


def set_buttons(buttons: dict[str, Any], states: dict[str, tuple[bool, str]]) -> None:
    """Mark each button available or not, with its tooltip (what it does, or why not now)."""
    for name, (enabled, why) in states.items():
        b = buttons[name]
        b.unavailable, b.unavailable_why = not enabled, "" if enabled else why
        b.tooltip = why
        b.style.text_color = "" if enabled else UNAVAILABLE_TEXT


class _View:
    box: Any
    out: Any
    width = WIDTH              # columns a message wraps at (narrower when the Output is)

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.box)

    def say(self, text: str, error: bool = False, keep: int = 6, detail: str = "") -> None:
        """Append a line to the widget's Output (the last `keep` lines stay), wrapped between
        words to `self.width` columns (`WIDTH` unless the lab's Output is narrower). An error is shown in red, with `detail` (Kafka's name and
        message) after it in small print."""
        text = "\n".join(textwrap.fill(line, self.width, subsequent_indent="  ", break_long_words=False,
                                        break_on_hyphens=False) for line in text.split("\n"))
        if error:
            plain = text + (f"\n    ({detail})" if detail else "")
            rich = (f'<div style="color: #b03a2e; font-family: monospace; font-size: 13px">{html.escape(text)}'
                    + (f'<br><small style="color: #777">{html.escape(detail)}</small>' if detail else "")
                    + "</div>")
            self.out.outputs += ({"output_type": "display_data", "metadata": {},
                                  "data": {"text/plain": plain, "text/html": rich}},)
        else:
            self.out.append_stdout(text + "\n")
        self.out.outputs = self.out.outputs[-keep:]

    def said(self) -> list[str]:
        """The Output's lines as plain text (what tests read)."""
        out = []
        for o in self.out.outputs:
            out += (o.get("text") or o.get("data", {}).get("text/plain", "")).rstrip("\n").split("\n")
        return out

    def _image(self) -> Any:
        return _w().Image(format="png", layout=_w().Layout(max_width="100%"))


class _BrokerControls(_View):
    """The crash and restart buttons of a lab with its own cluster: they act on the broker chosen
    in `self.broker`, with power loss if the lab has a `power_loss` checkbox that is ticked."""

    cluster: Cluster
    broker: Any
    crash: Any
    restart: Any
    _watching = False

    def refresh(self) -> None:
        raise NotImplementedError

    def _watch_brokers(self) -> None:
        """From now on, keep Crash and Restart enabled only when they can act (`broker_buttons`)."""
        self._watching = True
        self.broker.observe(lambda _: self._sync_brokers(), names="value")
        self._sync_brokers()

    def _sync_brokers(self) -> None:
        if self._watching:
            up = self.cluster.broker(self.broker.value).alive
            set_buttons({"crash": self.crash, "restart": self.restart}, broker_buttons(up))

    @_guarded
    def _crash(self, _: Any = None) -> None:
        power_loss = getattr(self, "power_loss", None)
        lost = bool(power_loss is not None and power_loss.value)
        self.cluster.crash_broker(self.broker.value, power_loss=lost)
        self.say(f"t={self.cluster.now} ms: crashed b{self.broker.value}" + (" (power loss)" if lost else ""))
        self.refresh()
        self._sync_brokers()

    @_guarded
    def _restart(self, _: Any = None) -> None:
        self.cluster.restart_broker(self.broker.value)
        self.say(f"t={self.cluster.now} ms: restarted b{self.broker.value}")
        self.refresh()
        self._sync_brokers()

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
- `_BrokerControls`: Crash and Restart act on the broker chosen in `.broker`, with power loss
  when the lab has a ticked `.power_loss` checkbox.
"""
from __future__ import annotations

import functools
import html
from typing import Any, Callable

from minikafka.cluster import Cluster


def _w() -> Any:
    import ipywidgets
    return ipywidgets


def _pre(text: str) -> str:
    return ('<pre style="font-size: 12px; line-height: 1.3; margin: 0">' + html.escape(text) + "</pre>")


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """A callback whose errors are shown in the widget's Output instead of being lost in the
    log console (where a learner never sees them)."""
    @functools.wraps(method)
    def run(self: "_View", *args: Any) -> None:
        try:
            method(self, *args)
        except Exception as e:             # a learner's click must never fail silently
            self.say(f"{type(e).__name__}: {e}", error=True)
    return run


class _View:
    box: Any
    out: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display
        display(self.box)

    def say(self, text: str, error: bool = False, keep: int = 6) -> None:
        """Append a line to the widget's Output (the last `keep` lines stay)."""
        if error:
            self.out.append_stderr(text + "\n")
        else:
            self.out.append_stdout(text + "\n")
        self.out.outputs = self.out.outputs[-keep:]

    def _image(self) -> Any:
        return _w().Image(format="png", layout=_w().Layout(max_width="100%"))


class _BrokerControls(_View):
    """The crash and restart buttons of a lab with its own cluster: they act on the broker chosen
    in `self.broker`, with power loss if the lab has a `power_loss` checkbox that is ticked."""

    cluster: Cluster
    broker: Any

    def refresh(self) -> None:
        raise NotImplementedError

    @_guarded
    def _crash(self, _: Any = None) -> None:
        power_loss = getattr(self, "power_loss", None)
        lost = bool(power_loss is not None and power_loss.value)
        self.cluster.crash_broker(self.broker.value, power_loss=lost)
        self.say(f"t={self.cluster.now} ms: crashed b{self.broker.value}" + (" (power loss)" if lost else ""))
        self.refresh()

    @_guarded
    def _restart(self, _: Any = None) -> None:
        self.cluster.restart_broker(self.broker.value)
        self.say(f"t={self.cluster.now} ms: restarted b{self.broker.value}")
        self.refresh()

"""Shared look of every picture: one palette, one figure factory, text helpers.

Rules:
- Every colour any picture uses comes from `PALETTE`, so a leader, an aborted record or a
  dropped message looks the same in the log strip, the cluster map and the sequence diagram.
- Figures are `matplotlib.figure.Figure` objects made here, never pyplot figures: nothing is
  registered globally, so nothing leaks and nothing is shown twice. matplotlib is imported on
  the first call, never when `minikafka.viz` is imported.
- A figure shows itself in a notebook as a PNG (`_repr_png_`), also when the notebook never
  imported pyplot (which is what sets up matplotlib's own inline display).
- Where matplotlib is missing (the JupyterLite course offline: Pyodide loads it from its CDN),
  every picture function falls back to its text twin (`text_twin`): it returns a `TextPicture`,
  which shows as that text in a notebook, and `png_bytes` gives a blank 1000x1 PNG for it, so a
  widget shows no picture and keeps its "as text" view. Never a traceback for a missing matplotlib.
"""
from __future__ import annotations

import functools
import inspect
import io
import struct
import zlib
from typing import Any, Callable, Collection, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

WIDTH = 9.0             # inches: the width of a JupyterLab notebook cell
DPI = 100

PALETTE: dict[str, str] = {
    # neutrals: frames, guides, notes
    "panel": "#f2f2f2",
    "panel_up": "#fafafa",
    "panel_down": "#f3e1df",
    "frame": "#999999",
    "guide": "#cccccc",
    "faint": "#dddddd",
    "note": "#777777",
    "dark_text": "#444444",
    # replicas and brokers
    "leader": "#1f5fa8",
    "follower": "#9cc3e6",           # in the ISR
    "out_of_isr": "#ffffff",         # a follower outside the ISR: white, dashed edge
    "offline": "#b8b8b8",            # a replica whose broker is down
    "broker_up": "#2e8b57",
    "broker_down": "#c0392b",
    "controller": "#555555",
    # records
    "committed": "#9cc3e6",          # below the high watermark
    "uncommitted": "#e8f1fa",        # at or above it
    "open_txn": "#fdd9a8",           # in a transaction that is still open
    "aborted": "#d9d9d9",
    "aborted_text": "#8a8a8a",
    "commit_marker": "#2e8b57",
    "abort_marker": "#c0392b",
    "edge": "#34495e",
    # markers
    "leo": "#222222",
    "hw": "#1f5fa8",
    "lso": "#8e44ad",
    "group": "#e67e22",
    # messages
    "msg_produce": "#1f5fa8",
    "msg_fetch": "#17a2b8",
    "msg_control": "#7f7f7f",
    "msg_txn": "#8e44ad",
    "msg_group": "#8c564b",
    "msg_other": "#444444",
    "dropped": "#c0392b",
    "state": "#555555",
    "row_shade": "#f3f5f8",          # every other row of the sequence diagram
    # experiment charts
    "loss": "#c0392b",
    "no_loss": "#2e8b57",
    "keyed": "#1f5fa8",
    "sticky": "#e67e22",
    "in_order": "#2e8b57",
    "reordered": "#e67e22",
    "duplicate": "#c0392b",
    # consumer groups: one colour per consumer (member_colour), a partition nobody owns
    "member1": "#4c72b0",
    "member2": "#dd8452",
    "member3": "#55a868",
    "member4": "#c44e52",
    "member5": "#8172b3",
    "member6": "#937860",
    "member7": "#da8bc3",
    "member8": "#ccb974",
    "member9": "#64b5cd",
    "unassigned": "#ffffff",
    "moved": "#111111",
    "crashed": "#c0392b",
    "lag": "#d35400",
    # what a consumer returns (read_committed / read_uncommitted)
    "returned": "#2e8b57",
    "skipped": "#8a8a8a",
    # log segments and retention (segments.py)
    "segment_rolled": "#aed6f1",     # a rolled (closed) segment
    "segment_active": "#2874a6",     # the active segment: the only one that takes appends
    "segment_clean": "#a9dfbf",      # wholly below the cleaner point (compaction)
    "segment_remote": "#e8daef",     # in the remote tier (tiered storage): drawn hatched
    "deleted": "#d0d0d0",            # offsets below the log start
    "log_start": "#b03a2e",
    "cleaner": "#1e8449",
    "segment_count": "#7d6608",
}
MEMBER_COLOURS = 9

_FIGURE_CLASS: Any = None


def new_figure(height: float, width: float = WIDTH) -> Any:
    """A fresh Figure (constrained layout) that displays itself as a PNG in a notebook. Sizes
    are rounded to 0.1 inch, so the text repr reads in whole pixels ("<Figure size 900x360
    with 1 Axes>"), which is what the notebooks' nbval sanitizer expects."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        from matplotlib.figure import Figure as _Base

        class Figure(_Base):            # the same name keeps the text repr "<Figure size ...>"
            def _repr_png_(self) -> bytes:
                return png_bytes(self)

        _FIGURE_CLASS = Figure
    return _FIGURE_CLASS(figsize=(round(width, 1), round(height, 1)), dpi=DPI, layout="constrained")


def member_colour(client: str) -> str:
    """The colour of one consumer in every group picture: by the number at the end of its
    name (consumer-3 is always the third colour), so it stays the same across pictures."""
    tail = client.rsplit("-", 1)[-1]
    n = int(tail) - 1 if tail.isdigit() else sum(client.encode())     # bytes, not hash(): stable
    return PALETTE[f"member{n % MEMBER_COLOURS + 1}"]


def png_bytes(fig: Any, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (what the widgets show in an `ipywidgets.Image`); a blank strip
    for a `TextPicture` (no matplotlib)."""
    if isinstance(fig, TextPicture):
        return _BLANK_PNG
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


#: a transparent strip 1000 x 1 (8-bit grey + alpha), made with the stdlib: a widget's image,
#: stretched to the widget's width, keeps the strip's shape, so it takes no room (a 1 x 1 pixel
#: would become a blank square as wide as the widget)
_BLANK_PNG = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1000, 1, 8, 4, 0, 0, 0))
              + _png_chunk(b"IDAT", zlib.compress(bytes(1 + 2 * 1000))) + _png_chunk(b"IEND", b""))


class TextPicture:
    """What a picture function returns where matplotlib is missing: its text twin. A notebook
    shows it as that text under one line that says why; `str()` is the twin's text alone."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"[{self.name}: matplotlib is not installed here; the picture as text]\n{self.text}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def text_twin(twin: Callable[..., str]) -> Callable[[F], F]:
    """Decorate a picture function: where matplotlib cannot be imported, call `twin` with the
    arguments (defaults included) that it shares by name with the picture (others, e.g. `title`,
    are dropped) and return a `TextPicture`. Any other error, a wrong argument included, goes
    through as it is."""
    shared = set(inspect.signature(twin).parameters)

    def decorate(picture: F) -> F:
        signature = inspect.signature(picture)

        @functools.wraps(picture)
        def draw(*args: Any, **kwargs: Any) -> Any:
            try:
                return picture(*args, **kwargs)
            except ModuleNotFoundError as exc:
                if (exc.name or "").partition(".")[0] != "matplotlib":
                    raise
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()          # the picture's defaults (e.g. how many entries) win
            return TextPicture(picture.__name__, twin(**{k: v for k, v in bound.arguments.items() if k in shared}))

        return draw  # type: ignore[return-value]

    return decorate


def patch(colour: str, label: str, **kw: Any) -> Any:
    """A legend entry: a filled square."""
    from matplotlib.patches import Patch
    return Patch(facecolor=colour, edgecolor=kw.pop("edgecolor", PALETTE["edge"]), label=label, **kw)


def fmt_value(v: Any) -> str:
    """A trace field value as text, the way `Trace.dumps` writes it."""
    if isinstance(v, bytes):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "[" + ",".join(fmt_value(x) for x in v) + "]"
    return str(v)


def fmt_fields(fields: dict[str, Any], skip: tuple[str, ...] = ("id",)) -> str:
    return " ".join(f"{k}={fmt_value(v)}" for k, v in sorted(fields.items()) if k not in skip)


def short_key(key: bytes | None, limit: int = 6) -> str | None:
    """A key short and printable enough to write inside a cell, else None."""
    if key is None or len(key) > limit:
        return None
    try:
        text = key.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() and text.strip() == text and text else None


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def wrap_fields(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken between fields (at spaces); a field
    longer than a line is broken after a comma or a `|` inside it (a list, a log strip), and only
    a field without one is cut at `width`. Never an empty list."""
    pieces: list[tuple[str, str]] = []          # (glue before it, text)
    for token in text.split(" "):
        glue = " "
        while len(token) > width:
            cut = max(token.rfind(",", 0, width), token.rfind("|", 1, width)) + 1 or width   # after , or |
            pieces.append((glue, token[:cut]))
            token, glue = token[cut:], ""
        pieces.append((glue, token))
    lines: list[str] = []
    for glue, piece in pieces:
        if lines and len(lines[-1]) + len(glue) + len(piece) <= width:
            lines[-1] += glue + piece
        else:
            lines.append(piece)
    return [line.rstrip() for line in lines] or [""]


def hang(prefix: str, text: str, width: int, tail: str = "") -> list[str]:
    """`prefix` + `text` wrapped by `wrap_fields` to `width` columns, continuation lines indented
    to the end of `prefix` (a table row whose last column is long); `tail` (a verdict such as
    "  DROPPED (rule)") ends the last line, or its own line when it does not fit, never split."""
    room = max(width - len(prefix), 10)
    lines = wrap_fields(text, room)
    if tail and len(lines[-1]) + len(tail) <= room:
        lines[-1] += tail
    elif tail:
        lines.append(tail.strip())
    return [prefix + lines[0]] + [" " * len(prefix) + line for line in lines[1:]]


def wrap_line(line: str, width: int = 100, indent: int = 8) -> str:
    """One line of a log-like view wrapped between fields to `width` columns, its continuation
    lines indented by `indent`."""
    if len(line) <= width:
        return line
    lines = wrap_fields(line, width - indent)
    return "\n".join([lines[0]] + [" " * indent + x for x in lines[1:]])


def table(header: list[str], rows: list[list[str]], right: Collection[int] = (), width: int | None = None) -> list[str]:
    """Aligned text columns; the last column is never padded. `right` holds column indexes
    aligned to the right (numbers). With `width`, a row whose last column would pass `width`
    columns has that cell wrapped between fields, continued under the column's start."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        if len(cells) - 1 not in right:
            cells[-1] = r[-1]
        line = "  ".join(cells).rstrip()
        if width is not None and len(line) > width and len(cells) > 1 and len(cells) - 1 not in right:
            out += [x.rstrip() for x in hang("  ".join(cells[:-1]) + "  ", r[-1], width)]
        else:
            out.append(line)
    return out


# the group protocols' requests (classic, consumer, share) and offsets: one colour in sequence pictures
GROUP_MESSAGES = ("JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch", "FindCoordinator",
                  "ConsumerGroupHeartbeat", "ShareGroupHeartbeat", "ShareFetch", "ShareAcknowledge",
                  "ReadShareGroupState", "WriteShareGroupState")

"""viz without matplotlib (the JupyterLite course offline): every picture falls back to its text
twin, a widget keeps working with a blank picture, and nothing else is hidden by the fallback."""
from __future__ import annotations

import struct
import sys
import zlib

import pytest

from minikafka import Cluster, viz
from minikafka.errors import KafkaException
from minikafka.viz import _style
from minikafka.viz._style import TextPicture, text_twin


@pytest.fixture
def no_matplotlib(monkeypatch):
    """matplotlib cannot be imported, as in Pyodide before (or without) its CDN."""
    for name in [n for n in sys.modules if n == "matplotlib" or n.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setattr(_style, "_FIGURE_CLASS", None)


def cluster() -> Cluster:
    c = Cluster(brokers=3, seed=7)
    c.create_topic("orders", partitions=2, replication_factor=3)
    p = c.producer()
    for i in range(3):
        p.produce("orders", key=f"k{i}", value=b"v", partition=0)
    p.flush()
    return c


def test_every_picture_of_viz_has_a_text_twin():
    figures = [name for name in dir(viz) if name.endswith("_figure")]
    assert len(figures) >= 15
    assert [name for name in figures if not hasattr(getattr(viz, name), "__wrapped__")] == []


def test_without_matplotlib_a_picture_is_its_text_twin(no_matplotlib):
    c = cluster()
    before = c.metrics()
    c.run(1_000)
    cases = [
        (viz.log_figure(c, "orders", 0), viz.log_table(c, "orders", 0)),
        (viz.cluster_figure(c), viz.cluster_table(c)),
        (viz.sequence_figure(c.trace, until=50), viz.sequence_table(c.trace, until=50)),
        (viz.isolation_figure(c, "orders"), viz.isolation_table(c, "orders")),
        (viz.group_figure(c, "nobody"), viz.group_table(c, "nobody")),
        (viz.distribution_figure({"keyed": [3, 1]}, title="dropped"), viz.distribution_table({"keyed": [3, 1]})),
        (viz.order_figure([0, 2, 1]), viz.order_table([0, 2, 1])),
        (viz.metadata_log_figure(c), viz.metadata_log_table(c, last=30)),        # the picture's default
        (viz.metrics_figure([before, c.metrics()], names=["LeaderCount"]),
         viz.metrics_table(before, c.metrics(), names=["LeaderCount"])),
    ]
    for picture, text in cases:
        assert isinstance(picture, TextPicture)
        assert str(picture) == text
        first, _, rest = repr(picture).partition("\n")
        assert first == f"[{picture.name}: matplotlib is not installed here; the picture as text]"
        assert rest == text


def test_without_matplotlib_png_bytes_is_a_blank_strip(no_matplotlib):
    """A widget stretches its image to its width: a 1000 x 1 strip takes no room there."""
    png = viz.png_bytes(viz.cluster_figure(cluster()))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and struct.unpack(">II", png[16:24]) == (1000, 1)
    idat = png.index(b"IDAT")
    size = struct.unpack(">I", png[idat - 4:idat])[0]
    assert zlib.decompress(png[idat + 4:idat + 4 + size]) == bytes(2001)      # transparent


def test_without_matplotlib_bad_arguments_still_raise_as_the_twin_does(no_matplotlib):
    c = cluster()
    with pytest.raises(KafkaException, match="UNKNOWN_TOPIC_OR_PART"):
        viz.log_figure(c, "nope", 0)
    with pytest.raises(ValueError, match="metrics_figure needs at least one snapshot"):
        viz.metrics_figure([])


def test_only_a_missing_matplotlib_falls_back():
    @text_twin(lambda x: f"text {x}")
    def picture(x, title=""):
        raise ModuleNotFoundError("no", name=x)

    assert str(picture("matplotlib.patches")) == "text matplotlib.patches"
    with pytest.raises(ModuleNotFoundError):
        picture("numpy")


def test_with_matplotlib_pictures_are_figures():
    pytest.importorskip("matplotlib")
    assert type(viz.cluster_figure(cluster())).__name__ == "Figure"


def test_a_widget_works_without_matplotlib(no_matplotlib):
    pytest.importorskip("ipywidgets")
    from minikafka import widgets

    explorer = widgets.ClusterExplorer(topic="orders", seed=1, partitions=1)
    assert explorer.map_image.value == viz.png_bytes(TextPicture("x", ""))
    assert "orders-0" in explorer.text.value

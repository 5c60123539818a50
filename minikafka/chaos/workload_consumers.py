"""The workload's consumers: they poll, and as an application process and commit; and what the
trace says of them: their commits' outcomes and their groups (workload.py drives the ticks; the
rules keep workload.py's numbers).

Rules:
3. `consumers` consumers ("c0", ...) read every topic ("out" only when there are pipelines):
   with `subscribe` they join the `group.id` of `consumer_config` with subscribe(), else they
   `assign()` every partition. They poll every tick. Everything they return is recorded. A
   `group.instance.id` in `consumer_config` makes them static members: slot i uses `<id>-<i>`,
   and a crashed slot's new process comes back as the same instance. A consumer whose poll
   raises a fatal error (a fenced or unreleased instance id) is a process that exits: it is
   crashed and its slot starts a new one after the back-off.
   Without `processing`, a consumer with a `group.id` commits its positions every
   `commit_interval_ms`, asynchronously (auto-commit off); a commit is recorded when its
   outcome is traced.
4. `processing` makes the consumers an application that processes each polled batch for
   `process_ms`, not polling meanwhile: "commit-then-process" commits the batch's offsets
   first and processes once the commit succeeded (at-most-once, J.69); "process-then-commit"
   processes first and commits the processed offsets every `commit_interval_ms`
   (at-least-once, J.70). Commits are asynchronous and awaited through their traced outcome
   (at most `COMMIT_WAIT_MS`). A crash between the two steps is what each mode is about. The
   history declares that the group must process every topic it reads (history.py rule 8).
9. Group membership is recorded from the trace (history.py rule 7): the consumers' assigned,
   revoked and lost events, their crashes and closes, and the coordinator's member removals;
   "assigned" carries the member id the coordinator's stable assignment gave that consumer.
   The trace is read after every tick, each event once; if the trace's ring dropped events
   before they were read (more than `trace_limit` events in one tick), the run stops with
   TraceDropped rather than give the checkers a history with commits or group events missing.

A crashed instance is replaced as workload.py rule 6 says.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minikafka.chaos.history import History, Read
from minikafka.chaos.workload_producers import INIT_BACKOFF_MS
from minikafka.clients.message import TopicPartition
from minikafka.cluster import Cluster
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.chaos.workload import WorkloadConfig
    from minikafka.clients.consumer.consumer import Consumer
    from minikafka.sim.trace import TraceEvent

COMMIT_WAIT_MS = 30_000
GROUP_DEFAULTS = {"session.timeout.ms": 10_000}          # members of groups this workload starts


@dataclass
class _ConsumerSlot:
    name: str
    index: int
    k: "Consumer | None" = None
    retry_at: int = 0
    batch: list[Read] = field(default_factory=list)       # being committed or processed (rule 4)
    phase: str = "poll"                                   # poll, committing, processing
    until: int = 0                                        # end of processing / of the commit wait
    commit_no: int = 0                                    # the awaited commit: this instance's n-th outcome
    uncommitted: dict[tuple[str, int], int] = field(default_factory=dict)   # processed, to commit
    next_commit: int = 0


class ConsumerRole:
    """The consumers of a `Workload` (rules 3, 4) and the trace's harvest (rules 3, 9), mixed into it."""

    cfg: WorkloadConfig
    c: Cluster
    h: History
    tps: list[tuple[str, int]]
    read_topics: list[str]
    isolation: str
    group: str | None
    consumers: list[_ConsumerSlot]
    _seen: int
    _consumer_names: set[str]
    _members: dict[str, str]
    _stable: dict[tuple[str, int], dict[str, str]]
    _member_names: dict[str, str]
    _instance_proc: dict[str, str]
    _commit_outcomes: dict[str, list[bool]]

    # -- consumers (rules 3, 4) ----------------------------------------------------------------
    def _consumer(self, cs: _ConsumerSlot) -> "Consumer | None":
        """The slot's live instance, or a new one (None while a new one cannot start). A dead
        instance's batch dies with it."""
        c = self.c
        if cs.k is not None and cs.k.alive:
            return cs.k
        cs.batch, cs.phase, cs.uncommitted = [], "poll", {}
        if c.now < cs.retry_at:
            return None
        # the consumer protocol's session timeout is the broker's (campaign.py's CONSUMER_PROTOCOL_BROKER)
        extra = GROUP_DEFAULTS if self.cfg.subscribe and self.cfg.consumer_config.get("group.protocol") != "consumer" \
            else {}
        config = {"auto.offset.reset": "earliest", **extra, **self.cfg.consumer_config, "enable.auto.commit": False}
        instance = config.get("group.instance.id")
        if instance is not None:                              # rule 3: a static member per slot
            instance = config["group.instance.id"] = f"{instance}-{cs.index}"
        k = c.consumer(config)
        if instance is not None:
            self._instance_proc[instance] = k.name
        self._consumer_names.add(k.name)
        try:
            if self.cfg.subscribe:
                self._join(k, self.group or "", self.read_topics)
            else:
                k.assign([TopicPartition(t, p) for t, p in self.tps if t in self.read_topics])
        except KafkaException:
            c.crash_client(k.name)                  # no metadata: the process gives up and restarts
            cs.k, cs.retry_at = None, c.now + INIT_BACKOFF_MS
            return None
        cs.k, cs.commit_no = k, 0
        return k

    def _join(self, k: "Consumer", group: str, topics: list[str]) -> None:
        k.subscribe(topics)
        self._members[k.name] = group

    def _consume(self, cs: _ConsumerSlot, timeout: float = 0) -> list[Read]:
        k = self._consumer(cs)
        if k is None:
            return []
        try:
            msgs = k.consume(500, timeout)
        except KafkaException as e:
            if e.args[0].fatal():                   # the process exits on a fatal error and is restarted
                self.c.crash_client(k.name)
                cs.k, cs.retry_at = None, self.c.now + INIT_BACKOFF_MS
            return []
        return [self.h.read(k.name, m, self.isolation, self.c.now, group=self.group) for m in msgs
                if m.error() is None]

    def _commit(self, cs: _ConsumerSlot) -> None:
        """Commit the positions asynchronously: a synchronous commit would hold up every slot for
        as long as the coordinator is unreachable. Outcomes come from the trace (`_harvest`)."""
        k = cs.k
        if k is None or not k.alive or self.group is None:
            return
        positions = [tp for tp in k.position(k.assignment()) if tp.offset >= 0]
        if positions:
            try:
                k.commit(offsets=positions, asynchronous=True)
            except KafkaException:
                pass

    def _consumer_tick(self, cs: _ConsumerSlot) -> bool:
        """Rule 4's state machine (or just a poll without `processing`); True if busy."""
        if self._consumer(cs) is None:
            return False
        if cs.phase == "committing":
            self._await_commit(cs)
            return True
        if cs.phase == "processing":
            if self.c.now >= cs.until:
                self._processed(cs)
            return True
        reads = self._consume(cs)
        if reads and self.cfg.processing:
            cs.batch = reads
            if self.cfg.processing == "commit-then-process":
                self._commit_offsets(cs, _ends(reads))
            else:
                cs.phase, cs.until = "processing", self.c.now + self.cfg.process_ms
        elif cs.uncommitted and self.c.now >= cs.next_commit:
            self._commit_offsets(cs, cs.uncommitted)
            return True
        return bool(reads) or bool(cs.uncommitted)

    def _commit_offsets(self, cs: _ConsumerSlot, ends: dict[tuple[str, int], int]) -> None:
        """Commit these offsets asynchronously; `_await_commit` waits for the outcome."""
        k = cs.k
        assert k is not None
        cs.uncommitted = {}
        cs.next_commit = self.c.now + self.cfg.commit_interval_ms
        try:
            k.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(ends.items())], asynchronous=True)
        except KafkaException:
            cs.batch, cs.phase = [], "poll"
            return
        cs.commit_no += 1
        cs.phase, cs.until = "committing", self.c.now + COMMIT_WAIT_MS

    def _await_commit(self, cs: _ConsumerSlot) -> None:
        assert cs.k is not None
        outcomes = self._commit_outcomes.get(cs.k.name, [])
        if len(outcomes) < cs.commit_no and self.c.now < cs.until:
            return
        ok = len(outcomes) >= cs.commit_no and outcomes[cs.commit_no - 1]
        if self.cfg.processing == "commit-then-process" and ok:
            cs.phase, cs.until = "processing", self.c.now + self.cfg.process_ms
        else:
            cs.batch, cs.phase = [], "poll"         # committed after processing, or not processed at all

    def _processed(self, cs: _ConsumerSlot) -> None:
        assert cs.k is not None and self.group is not None
        for r in cs.batch:
            self.h.process(cs.k.name, self.group, r, self.c.now)
        if self.cfg.processing == "process-then-commit":
            cs.uncommitted = _ends(cs.batch, cs.uncommitted)
        cs.batch, cs.phase = [], "poll"
        if cs.uncommitted and self.c.now >= cs.next_commit:
            self._commit_offsets(cs, cs.uncommitted)

    # -- the trace (rules 3, 9) -------------------------------------------------------------------
    def _harvest(self) -> None:
        """Record what completed since the last call: the consumers' commits (group, error,
        offsets "topic-partition=offset") and group membership (rule 9)."""
        trace = self.c.trace
        for e in trace.events_from(self._seen, "the workload's record of commits and group events (rule 9)"):
            if e.kind != "state":
                continue
            if e.name == "commit" and e.node in self._consumer_names:
                self._harvest_commit(e)
            elif e.name.startswith(("group.", "cgroup.")) or e.name in ("client.crash", "client.close"):
                self._harvest_group(e)
        self._seen = len(trace)

    def _harvest_commit(self, e: "TraceEvent") -> None:
        error = e.fields.get("error", "none")
        self._commit_outcomes.setdefault(e.node, []).append(error == "none")
        for item in e.fields.get("offsets", ()):
            tp, _, offset = str(item).rpartition("=")
            topic, _, part = tp.rpartition("-")
            self.h.commit(e.node, e.fields.get("group", self.group or ""), topic, int(part), int(offset),
                          error == "none", e.time, None if error == "none" else error, self.isolation)

    def _harvest_group(self, e: "TraceEvent") -> None:
        f, h = e.fields, self.h
        groups = set(self._members.values())
        if e.name == "group.stable" and f.get("group") in groups:
            members = {self._name(m.rpartition(":")[0]): m.rpartition(":")[0] for m in f["assignment"]}
            self._member_names.update((mid, name) for name, mid in members.items())
            self._stable[(f["group"], f["generation"])] = members
        elif e.name in ("group.join", "group.generation") and f.get("group") in groups:
            for mid in ([f["member"]] if e.name == "group.join" else f["members"]):
                self._member_names.setdefault(mid, self._name(mid))    # the process it was given to
        elif e.name == "group.member_removed" and f.get("group") in groups:
            ge = h.group_event(self._name(f["member"]), f["group"], "removed", e.time, member=f["member"])
            ge.trace_seq = e.seq
        elif e.name in ("cgroup.member_removed", "cgroup.static_replaced") and f.get("group") in groups:
            member = f["member"] if e.name == "cgroup.member_removed" else f["replaces"]   # the consumer protocol
            ge = h.group_event(self._name(member), f["group"], "removed", e.time, member=member)
            ge.trace_seq = e.seq
        elif e.name == "group.static_rejoin" and f.get("group") in groups:
            # the instance's new process took the old member id's place: that member id is gone
            ge = h.group_event(self._name(f["replaces"]), f["group"], "removed", e.time, member=f["replaces"])
            ge.trace_seq = e.seq
            name = self._instance_proc.get(f["instance"], f["instance"])
            self._member_names[f["member"]] = name
            self._stable.setdefault((f["group"], f["generation"]), {})[name] = f["member"]
        elif e.node in self._members:
            ge = self._member_event(e)
            if ge is not None:
                ge.trace_seq = e.seq

    def _name(self, member_id: str) -> str:
        """The consumer (process) a member id belongs to: a dynamic member's id starts with its
        client id, a static member's with its group.instance.id (its slot's process then)."""
        known = self._member_names.get(member_id)
        if known is not None:
            return known
        prefix = member_id.rpartition("-")[0]
        return self._instance_proc.get(prefix, prefix)

    def _member_event(self, e: "TraceEvent") -> Any:
        f, h, group = e.fields, self.h, self._members[e.node]
        if e.name == "group.assigned":
            member = f.get("member") or self._stable.get((group, f["generation"]), {}).get(e.node)
            return h.group_event(e.node, group, "assigned", e.time, f["partitions"], f["generation"], member)
        if e.name in ("group.revoked", "group.lost"):
            return h.group_event(e.node, group, e.name[6:], e.time, f["partitions"])
        if e.name in ("client.crash", "client.close"):
            return h.group_event(e.node, group, "crashed" if e.name == "client.crash" else "closed", e.time)
        return None


def _ends(reads: list[Read], base: dict[tuple[str, int], int] | None = None) -> dict[tuple[str, int], int]:
    """The offsets to commit after these reads: per partition, the last offset + 1."""
    ends = dict(base or {})
    for r in reads:
        ends[r.tp] = max(ends.get(r.tp, 0), r.offset + 1)
    return ends

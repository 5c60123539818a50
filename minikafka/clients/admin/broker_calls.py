"""Admin calls that brokers answer themselves (Kafka: `AdminApiDriver` with its lookup
strategies), as the transaction tools (transactions.py) make them; `AdminClient` (admin_client.py)
runs them.

Rules:
1. A broker call (`run_keys`) has one key (`Key`) per thing it asks about (a transactional id, a
   partition, a broker), all sent at once, each to its own destination: a broker named by the
   caller, any broker (the same one while it answers; a failed connection moves on to the next,
   as every client does), or one found first by a lookup request (FindCoordinator for a
   coordinator, Metadata for a partition leader).
2. Each attempt waits up to `request.timeout.ms`. What an answer means is the call's own (its
   `handle`): done, failed (the key's error, Kafka's), retried after `retry.backoff.ms` from the
   same broker (COORDINATOR_LOAD_IN_PROGRESS, a lookup that found no leader or coordinator yet),
   or looked up again first (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER).
   A lost connection or a timed-out attempt looks up again (Kafka's driver unmaps the key after
   a disconnect) or, for a key whose broker is fixed, retries that broker.
3. Every key has until `default.api.timeout.ms` after the call began; a key without an answer
   by then fails the call with REQUEST_TIMED_OUT, naming the key and its last error.
4. A lookup of a partition's leader fails at once with UNKNOWN_TOPIC_OR_PART when the Metadata
   answer lacks the topic (as Kafka's admin client does) or the partition (Kafka's would wait out
   its timeout for a partition index the topic lacks).
5. A call is a generator that yields what it waits for next (a `Stage` of keys, or a
   `ControllerCall`, admin_client.py) and gets back that stage's answer. `drive` runs one to its
   end, blocking in virtual time (so not from inside a simulation event); `launch` starts one
   and returns a `KafkaFuture` (kafka_future.py) that each answer moves on, inside the
   simulation, with no one waiting. Argument errors raise from both at once, before anything
   is sent; with `launch`, later errors are the future's.
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from minikafka import protocol as P
from minikafka.clients.admin.kafka_future import KafkaFuture
from minikafka.errors import KafkaException

if TYPE_CHECKING:
    from minikafka.sim.kernel import Simulation

TP = tuple[str, int]

# what an answer means for a key (rule 2): (verdict, value)
DONE, FAIL, RETRY, LOOKUP = "done", "fail", "retry", "lookup"
Verdict = tuple[str, Any]
Lookup = tuple[Callable[[int], Any], Callable[[Any], Verdict]]


class Key:
    """One key of a broker call. `broker`: where it goes (None: any broker, or the one `lookup`
    finds); `lookup`: (a lookup request from a cid, its answer as a verdict whose value is the
    broker id); `build(cid)`: the request; `handle(response, broker)`: a verdict."""

    __slots__ = ("name", "build", "handle", "broker", "lookup", "done", "value", "error", "why")

    def __init__(self, name: str, build: Callable[[int], Any], handle: Callable[[Any, int], Verdict],
                 broker: int | None = None, lookup: Lookup | None = None) -> None:
        self.name, self.build, self.handle, self.broker, self.lookup = name, build, handle, broker, lookup
        self.done = False
        self.value: Any = None
        self.error: KafkaException | None = None
        self.why = ""                   # the last error that made it retry


class Stage:
    """What a call waits for next (rule 5): every key of `keys` answered or failed, by `deadline`."""

    __slots__ = ("keys", "what", "deadline")

    def __init__(self, keys: list[Key], what: str, deadline: int) -> None:
        self.keys, self.what, self.deadline = keys, what, deadline


Call = Generator[Any, Any, Any]


def coordinator_lookup(key: str, key_type: str) -> Lookup:
    """The coordinator of a transactional id (`key_type` "transaction") or a group ("group"), by
    FindCoordinator, retried until one is known."""
    def found(resp: P.FindCoordinatorResponse) -> Verdict:
        return (DONE, resp.node_id) if resp.error is None else (RETRY, resp.error)
    return (lambda cid: P.FindCoordinatorRequest(cid, key, key_type), found)


def coordinator_verdict(err: str) -> Verdict | None:
    """A coordinator's answer that is not the call's: moved (look it up again) or loading (retry)."""
    if err in ("NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE"):
        return (LOOKUP, err)
    if err == "COORDINATOR_LOAD_IN_PROGRESS":
        return (RETRY, err)
    return None


def raise_first(keys: list[Key]) -> None:
    """A call's failure: the first failed key's error, in key order."""
    for k in keys:
        if k.error is not None:
            raise k.error


def partitions_in(resp: P.MetadataResponse, tps: list[TP], what: str) -> KafkaException | None:
    """UNKNOWN_TOPIC_OR_PART for the first of `tps` the Metadata answer lacks (Kafka's admin
    client fails an unknown topic at once; it would wait out its timeout on a partition index
    the topic lacks, which minikafka refuses at once too)."""
    for topic, p in tps:
        parts = resp.partitions.get(topic)
        if parts is None:
            return KafkaException("UNKNOWN_TOPIC_OR_PART", f"{what}: unknown topic {topic!r}")
        if p >= len(parts):
            return KafkaException("UNKNOWN_TOPIC_OR_PART", f"{what}: topic {topic!r} has no partition {p} "
                                                           f"(its partitions are 0..{len(parts) - 1})")
    return None


def leader_lookup(tp: TP, what: str) -> Lookup:
    """A partition's leader, by Metadata for its topic; no leader yet is retried."""
    def found(resp: P.MetadataResponse) -> Verdict:
        err = partitions_in(resp, [tp], what)
        if err is not None:
            return (FAIL, err)
        leader = resp.partitions[tp[0]][tp[1]].leader
        return (DONE, leader) if leader >= 0 else (RETRY, "LEADER_NOT_AVAILABLE")
    return (lambda cid: P.MetadataRequest(cid, (tp[0],)), found)


class BrokerCalls:
    """Rules 1-3 for `AdminClient`, which provides the rest (it is a `Client`)."""

    cfg: dict[str, Any]
    sim: "Simulation"
    request: Callable[..., Any]
    next_broker: Callable[[], int]
    next_cid: Callable[[], int]
    after: Callable[..., Any]
    check_open: Callable[[], None]
    block_until: Callable[..., bool]

    def api_deadline(self) -> int:
        """When a broker call starting now gives up (rule 3)."""
        return self.sim.now + self.cfg["default.api.timeout.ms"]

    def ask_every_broker(self, build: Callable[[int], Any], answer: Callable[[Any], Any], what: str,
                         deadline: int) -> Generator[Stage, None, list[Key]]:
        """The live brokers of one Metadata answer each get `build(cid)`; a key's value is
        `answer(response)`. COORDINATOR_LOAD_IN_PROGRESS is retried, another error fails that
        key (the caller raises the first). Kafka: AllBrokersStrategy."""
        brokers = Key("the live brokers", lambda cid: P.MetadataRequest(cid, ()),
                      lambda resp, b: (DONE, resp.brokers) if resp.brokers else (RETRY, "no live broker"))
        yield Stage([brokers], what, deadline)

        def handle(resp: Any, broker: int) -> Verdict:
            if resp.error is None:
                return (DONE, answer(resp))
            if resp.error == "COORDINATOR_LOAD_IN_PROGRESS":
                return (RETRY, resp.error)
            return (FAIL, KafkaException(resp.error, f"{what}: broker {broker} answered {resp.error}"))
        keys = [Key(f"broker {b}", build, handle, broker=b) for b in sorted(brokers.value)]
        yield Stage(keys, what, deadline)
        return keys

    def ask(self, key: Key, what: str, deadline: int | None = None) -> Call:
        """One key as a call's stage (rules 1-3): its value, or its error raised."""
        yield Stage([key], what, self.api_deadline() if deadline is None else deadline)
        raise_first([key])
        return key.value

    def drive(self, call: Call, first: Any = None) -> Any:
        """Rule 5: run `call` to its end, blocking (from `first`, its first stage, when the caller
        has started it); its value, or its error raised."""
        try:
            stage = call.send(None) if first is None else first
            while True:
                stage = call.send(self.run_stage(stage))
        except StopIteration as stop:
            return stop.value

    def run_stage(self, stage: Any) -> Any:
        if isinstance(stage, Stage):
            self.run_keys(stage.keys, stage.what, stage.deadline)
            return None
        return self.run_controller_call(stage)

    def launch(self, call: Call, what: str) -> KafkaFuture:
        """Rule 5: start `call` and return its future; argument errors raise here."""
        self.check_open()
        future = KafkaFuture(self, what)

        def advance(answer: Any) -> None:
            try:
                stage = call.send(answer)
            except StopIteration as stop:
                future.set_result(stop.value)
            except Exception as e:       # the call's error is its future's, as in any executor
                future.set_exception(e)
            else:
                self.start_stage(stage, advance, future.set_exception)
        try:
            stage = call.send(None)
        except StopIteration as stop:
            future.set_result(stop.value)
            return future
        self.start_stage(stage, advance, future.set_exception)
        return future

    def start_stage(self, stage: Any, advance: Callable[[Any], None], fail: Callable[[Exception], None]) -> None:
        if not isinstance(stage, Stage):
            self.start_controller_call(stage, advance, fail)
            return
        keys, what = stage.keys, stage.what

        def done(late: list[Key]) -> None:
            if late:
                fail(self.late_error(late, what))
            else:
                advance(None)
        self.start_keys(keys, what, stage.deadline, done)

    def late_error(self, late: list[Key], what: str) -> KafkaException:
        names = ", ".join(k.name + (f" (last error {k.why})" if k.why else "") for k in late)
        limit = self.cfg["default.api.timeout.ms"]
        return KafkaException("REQUEST_TIMED_OUT", f"{what}: no answer for {names} within "
                                                   f"default.api.timeout.ms ({limit} ms)")

    def run_keys(self, keys: list[Key], what: str, deadline: int | None = None) -> None:
        """Rules 1-3: drive every key to an answer (`key.value`) or a failure (`key.error`);
        REQUEST_TIMED_OUT when one has neither by `deadline` (default: `default.api.timeout.ms`
        from now)."""
        self.check_open()
        deadline = self.api_deadline() if deadline is None else deadline
        self.start_keys(keys, what, deadline)
        self.block_until(lambda: all(k.done for k in keys), max(0, deadline - self.sim.now), what)
        late = [k for k in keys if not k.done]
        if late:
            raise self.late_error(late, what)

    def start_keys(self, keys: list[Key], what: str, deadline: int,
                   on_done: Callable[[list[Key]], None] | None = None) -> None:
        """Rules 1-3 without waiting: send every key's first request. With `on_done`, it is
        called once, inside the simulation: with [] when every key is done, or with the keys
        still open when `deadline` comes first."""
        backoff = self.cfg["retry.backoff.ms"]
        watch: list[Any] = []           # the deadline timer, while on_done waits

        def finish() -> None:
            if watch and all(k.done for k in keys):
                watch.pop().cancel()
                on_done([])

        def expire() -> None:
            if watch:
                watch.clear()
                on_done([k for k in keys if not k.done])

        def step(k: Key) -> None:
            if k.done or self.sim.now >= deadline:
                return
            if k.broker is None and k.lookup is not None:
                self.request(self.next_broker(), k.lookup[0](self.next_cid()), lambda r: found(k, r),
                             lambda err: lost(k, err.name()))
            else:
                broker = self.next_broker() if k.broker is None else k.broker
                self.request(broker, k.build(self.next_cid()), lambda r: judge(k, k.handle(r, broker)),
                             lambda err: lost(k, err.name()))

        def found(k: Key, resp: Any) -> None:
            verdict, value = k.lookup[1](resp)
            if verdict == DONE:
                k.broker = value
                step(k)
            else:
                judge(k, (verdict, value))

        def judge(k: Key, v: Verdict) -> None:
            verdict, value = v
            if verdict == DONE:
                k.done, k.value = True, value
                finish()
            elif verdict == FAIL:
                k.done, k.error = True, value
                finish()
            else:
                k.why = value
                if verdict == LOOKUP and k.lookup is not None:
                    k.broker = None
                self.after(backoff, step, k)

        def lost(k: Key, error: str) -> None:
            judge(k, (LOOKUP, error))
        if on_done is not None:
            watch.append(self.after(max(0, deadline - self.sim.now), expire))
        for k in keys:
            step(k)
        if on_done is not None:
            finish()

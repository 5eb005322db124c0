import assert from "node:assert/strict";
import { join } from "node:path";
import { type FlushTimer, makeRunLogs } from "../../src/core/runLogs.ts";

/** A timer the test fires by hand: `pending` holds the scheduled flush, if any. */
const manualTimer = () => {
  const state = { pending: undefined as (() => void) | undefined, scheduled: 0 };
  const timer: FlushTimer = (flush) => {
    state.scheduled++;
    state.pending = flush;
    return () => void (state.pending = undefined);
  };
  const fire = () => {
    const f = state.pending;
    state.pending = undefined;
    f?.();
  };
  return { state, timer, fire };
};

const read = (path: string) => Deno.readTextFile(path).catch(() => null);

Deno.test("makeRunLogs() writes queued lines only when its timer fires, one batch per file, in order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "logs"));
    const t = manualTimer();
    const logs = makeRunLogs(dir, { timer: t.timer });
    logs.add("logs/a.log", "one");
    logs.add("metrics.jsonl", '{"step":1}');
    logs.add("logs/a.log", "two");
    assert.equal(t.state.scheduled, 1, "one timer for the whole batch");
    assert.equal(await read(join(dir, "logs/a.log")), null, "nothing written before the timer");
    t.fire();
    assert.equal(await read(join(dir, "logs/a.log")), "one\ntwo\n");
    assert.equal(await read(join(dir, "metrics.jsonl")), '{"step":1}\n');
    logs.add("logs/a.log", "three");
    assert.equal(t.state.scheduled, 2, "the next line starts the next batch");
    t.fire();
    assert.equal(
      await read(join(dir, "logs/a.log")),
      "one\ntwo\nthree\n",
      "appended, not replaced",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flush() writes every queued line at once and cancels the pending timer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = manualTimer();
    const logs = makeRunLogs(dir, { timer: t.timer });
    logs.add("b.log", "x");
    logs.flush();
    assert.equal(await read(join(dir, "b.log")), "x\n");
    assert.equal(t.state.pending, undefined, "the timer was cancelled");
    logs.flush();
    assert.equal(await read(join(dir, "b.log")), "x\n", "an empty flush writes nothing");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("flush() throws the error of a failed batch; the other files are still written", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = manualTimer();
    const logs = makeRunLogs(dir, { timer: t.timer });
    logs.add("missing-folder/c.log", "lost");
    logs.add("d.log", "kept");
    t.fire(); // the timer's batch fails on c.log without throwing out of the timer
    assert.equal(await read(join(dir, "d.log")), "kept\n");
    assert.throws(() => logs.flush(), (e: unknown) => e instanceof Error);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

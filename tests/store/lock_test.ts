import assert from "node:assert/strict";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import * as Option from "effect/Option";
import * as TestClock from "effect/testing/TestClock";
import { Store } from "../../src/store/Store.ts";
import {
  awaitLockFile,
  info,
  keyOf,
  listTree,
  type Logs,
  runAt,
  runTest,
  spawnWorker,
  writeFiles,
} from "./helpers.ts";

const lockPath = (root: string, key: string) => `${root}/locks/${key}.lock`;

const readLock = (root: string, key: string) =>
  Effect.promise(async () => {
    try {
      return JSON.parse(await Deno.readTextFile(lockPath(root, key))) as Record<string, unknown>;
    } catch (e) {
      // absent, or created and not yet written
      if (e instanceof Deno.errors.NotFound || e instanceof SyntaxError) return undefined;
      throw e;
    }
  });

const plantLock = (root: string, key: string, content: Record<string, unknown>) =>
  Effect.promise(async () => {
    await Deno.mkdir(`${root}/locks`, { recursive: true });
    await Deno.writeTextFile(lockPath(root, key), JSON.stringify(content));
  });

/** Re-runs `read` (real IO, no clock involved) until `done` accepts its value. */
const settled = <A>(read: Effect.Effect<A>, done: (a: A) => boolean): Effect.Effect<A> =>
  Effect.gen(function* () {
    for (let i = 0; i < 2_000; i++) {
      const a = yield* read;
      if (done(a)) return a;
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1)));
    }
    throw new Error("condition never reached");
  });

/** This process's pid namespace, recorded in lock files to tell containers apart. */
// under the test permission set Deno hides our own /proc entries; the store then writes none
const pidNs = await Deno.readLink("/proc/self/ns/pid").catch(() => undefined);

/** A pid that is certainly not running: that of a child that has exited and been reaped. */
const deadPid = async (): Promise<number> => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
};

/** Starts `n` lock workers, releases them at once, and returns their last lines, sorted. */
const raceWorkers = async (
  root: string,
  key: string,
  counter: string,
  go: string,
  n: number,
  holdMs: string,
) => {
  const workers = Array.from(
    { length: n },
    () => spawnWorker("lock_worker.ts", [root, key, counter, go, holdMs]),
  );
  await Promise.all(workers.map((w) => w.waitFor("ready")));
  await Deno.writeTextFile(go, "");
  const results = await Promise.all(workers.map((w) => w.finish()));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  return results.map((r) => r.stdout.trim().split("\n").at(-1)).sort();
};

Deno.test("withLock() lets one of many fibers compute a key; the others find the entry", async () => {
  const key = keyOf("fibers");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    let computed = 0;
    let inside = 0;
    let maxInside = 0;
    const task = store.withLock(
      key,
      Effect.gen(function* () {
        inside++;
        maxInside = Math.max(maxInside, inside);
        const hit = yield* store.lookup(key);
        if (Option.isNone(hit)) {
          computed++;
          yield* Effect.sleep(50);
          yield* store.write(key, info(), (dir) => writeFiles(dir, { v: "1" }));
        }
        inside--;
      }),
      { pollMs: 5 },
    );
    yield* Effect.all([task, task, task, task, task], { concurrency: "unbounded" });
    assert.equal(computed, 1);
    assert.equal(maxInside, 1);
    assert.equal(yield* readLock(store.root, key), undefined);
  }));
});

Deno.test("withLock() in two real processes computes the key exactly once", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-store-procs-" });
  try {
    const key = keyOf("processes");
    const counter = `${root}/counter.txt`;
    const go = `${root}/go`;
    const outcomes = await raceWorkers(root, key, counter, go, 2, "400");
    assert.deepEqual(outcomes, [
      "computed",
      "hit",
    ]);
    const lines = (await Deno.readTextFile(counter)).trim().split("\n");
    assert.equal(lines.length, 1);
    await runAt(
      root,
      Effect.gen(function* () {
        const store = yield* Store;
        assert.equal((yield* store.verify(key)).files.length, 1);
      }),
    );
    assert.equal(await Deno.stat(lockPath(root, key)).then(() => true, () => false), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withLock() in three processes racing to break one stale lock computes the key once", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-store-stale-race-" });
  try {
    const key = keyOf("stale-race");
    const counter = `${root}/counter.txt`;
    const go = `${root}/go`;
    const now = Date.now();
    await Effect.runPromise(plantLock(root, key, {
      host: Deno.hostname(),
      pidNs,
      pid: await deadPid(),
      token: "dead",
      acquiredAt: new Date(now).toISOString(),
      leaseUntil: new Date(now + 3_600_000).toISOString(),
    }));
    const outcomes = await raceWorkers(root, key, counter, go, 3, "200");
    assert.deepEqual(outcomes, [
      "computed",
      "hit",
      "hit",
    ]);
    assert.equal((await Deno.readTextFile(counter)).trim().split("\n").length, 1);
    assert.deepEqual(await listTree(`${root}/locks`), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withLock() breaks a lock left by a dead pid of this host", async () => {
  const key = keyOf("dead-pid");
  const pid = await deadPid();
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      const now = Date.now();
      yield* plantLock(store.root, key, {
        host: Deno.hostname(),
        pidNs,
        pid,
        token: "dead",
        acquiredAt: new Date(now).toISOString(),
        leaseUntil: new Date(now + 3_600_000).toISOString(),
      });
      const ran = yield* store.withLock(key, Effect.succeed("ran"), {
        pollMs: 10,
        timeoutMs: 2_000,
      });
      assert.equal(ran, "ran");
      assert.equal(yield* readLock(store.root, key), undefined);
      assert.deepEqual(yield* Effect.promise(() => listTree(`${store.root}/locks`)), []);
    }),
    logs,
  );
  assert.ok(logs.lines.some((l) => l.includes("no longer running")), logs.lines.join("\n"));
});

Deno.test("withLock() breaks another host's lock whose lease expired", async () => {
  const key = keyOf("expired-lease");
  await runTest(Effect.gen(function* () {
    const store = yield* Store;
    const now = Date.now();
    yield* plantLock(store.root, key, {
      host: "elsewhere.invalid",
      pid: 1,
      token: "remote",
      acquiredAt: new Date(now - 120_000).toISOString(),
      leaseUntil: new Date(now - 60_000).toISOString(),
    });
    assert.equal(
      yield* store.withLock(key, Effect.succeed(1), { pollMs: 10, timeoutMs: 2_000 }),
      1,
    );
  }));
});

Deno.test("withLock() respects another host's unexpired lease and fails with LockTimeout (TestClock)", async () => {
  const key = keyOf("live-lease");
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      const now = Date.parse("2030-01-01T00:00:00Z");
      yield* TestClock.setTime(now);
      const planted = {
        host: "elsewhere.invalid",
        pid: 1,
        token: "remote",
        acquiredAt: new Date(now).toISOString(),
        leaseUntil: new Date(now + 3_600_000).toISOString(),
      };
      yield* plantLock(store.root, key, planted);
      let ran = false;
      const waiter = yield* Effect.forkChild(Effect.flip(
        store.withLock(key, Effect.sync(() => (ran = true)), { pollMs: 20, timeoutMs: 200 }),
      ));
      yield* settled(Effect.sync(() => logs.lines), (l) => l.some((x) => x.includes("waiting")));
      for (let i = 0; i < 12; i++) yield* TestClock.adjust(20);
      const error = yield* Fiber.join(waiter);
      assert.equal(error._tag, "LockTimeout");
      assert.ok(
        error._tag === "LockTimeout" && error.holder.includes("elsewhere.invalid"),
        error.message,
      );
      assert.ok(error.message.includes(key), error.message);
      assert.equal(ran, false);
      assert.deepEqual(yield* readLock(store.root, key), planted);
    }).pipe(Effect.provide(TestClock.layer())),
    logs,
  );
});

Deno.test("withLock() takes over at once an empty lock file whose OS lock nobody holds", async () => {
  const key = keyOf("unreadable-lock");
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      yield* Effect.promise(async () => {
        await Deno.mkdir(`${store.root}/locks`, { recursive: true });
        await Deno.writeTextFile(lockPath(store.root, key), "");
      });
      // no time passes (TestClock): the first attempt must succeed
      assert.equal(yield* store.withLock(key, Effect.succeed("ok"), { timeoutMs: 0 }), "ok");
      assert.equal(yield* readLock(store.root, key), undefined);
    }).pipe(Effect.provide(TestClock.layer())),
  );
});

Deno.test("withLock() renews its lease every quarter lease (TestClock) and releases on failure", async () => {
  const key = keyOf("renew");
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      yield* TestClock.setTime(Date.parse("2030-01-01T00:00:00Z"));
      const seen = yield* store.withLock(
        key,
        Effect.gen(function* () {
          const first = yield* readLock(store.root, key);
          yield* TestClock.adjust(100);
          const later = yield* settled(
            readLock(store.root, key),
            (r) => r !== undefined && r.leaseUntil !== first?.leaseUntil,
          );
          return { first, later };
        }),
        { leaseMs: 400 },
      );
      assert.equal(seen.first?.pid, Deno.pid);
      assert.equal(seen.first?.token, seen.later?.token);
      assert.equal(seen.first?.leaseUntil, "2030-01-01T00:00:00.400Z");
      assert.equal(seen.later?.leaseUntil, "2030-01-01T00:00:00.500Z");
      assert.equal(yield* readLock(store.root, key), undefined);

      const failed = yield* Effect.flip(store.withLock(key, Effect.fail("nope" as const)));
      assert.equal(failed, "nope");
      assert.equal(yield* readLock(store.root, key), undefined);
    }).pipe(Effect.provide(TestClock.layer())),
  );
});

Deno.test("withLock() waits out another host's lease and takes the key once it expires (TestClock)", async () => {
  const key = keyOf("lease-expiry");
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      const t0 = Date.parse("2030-01-01T00:00:00Z");
      yield* TestClock.setTime(t0);
      yield* plantLock(store.root, key, {
        host: "elsewhere.invalid",
        pid: 1,
        token: "remote",
        acquiredAt: new Date(t0).toISOString(),
        leaseUntil: new Date(t0 + 30_000).toISOString(),
      });
      const waiter = yield* Effect.forkChild(
        store.withLock(key, Effect.succeed("mine"), { pollMs: 1_000 }),
      );
      yield* settled(Effect.sync(() => logs.lines), (l) => l.some((x) => x.includes("waiting")));
      yield* TestClock.adjust(20_000);
      assert.equal((yield* readLock(store.root, key))?.token, "remote");
      // past the lease in 1 s ticks, with a real pause after each: the waiter's next poll may be
      // scheduled only after its file reads finish, so one big jump could land before that sleep
      for (let i = 0; i < 15; i++) {
        yield* TestClock.adjust(1_000);
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)));
      }
      assert.equal(yield* Fiber.join(waiter), "mine");
    }).pipe(Effect.provide(TestClock.layer())),
    logs,
  );
  assert.ok(logs.lines.some((l) => l.includes("its lease expired")), logs.lines.join("\n"));
});

Deno.test("withLock() takes a key at its first attempt when the holder process was killed with SIGKILL", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-store-flock-" });
  try {
    const key = keyOf("killed-holder");
    const counter = `${root}/counter`;
    const go = `${root}/go`;
    await Deno.writeTextFile(go, "");
    const worker = spawnWorker("lock_worker.ts", [root, key, counter, go, "600000"]);
    for (;;) {
      const text = await Deno.readTextFile(counter).catch(() => "");
      if (text !== "") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    worker.child.kill("SIGKILL");
    await worker.finish();
    const logs: Logs = { lines: [] };
    await runAt(
      root,
      Effect.gen(function* () {
        const store = yield* Store;
        // the dead holder's record is still in the file; its OS lock went with the process
        assert.ok((yield* readLock(root, key)) !== undefined);
        assert.equal(yield* store.withLock(key, Effect.succeed("mine"), { timeoutMs: 0 }), "mine");
      }).pipe(Effect.provide(TestClock.layer())),
      logs,
    );
    assert.ok(!logs.lines.some((l) => l.includes("waiting")), logs.lines.join("\n"));
    assert.ok(logs.lines.some((l) => l.includes("no longer running")), logs.lines.join("\n"));
    assert.deepEqual(await listTree(`${root}/locks`), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withLock() takes over at once a record of this host whose OS lock is free, even from another pid namespace", async () => {
  // a holder killed in another container on this machine: its pid cannot be checked from here,
  // but the kernel says nobody holds the file
  const key = keyOf("other-container");
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      yield* TestClock.setTime(Date.now());
      yield* plantLock(store.root, key, {
        host: Deno.hostname(),
        pidNs: "pid:[4026599999]",
        pid: 1,
        token: "container",
        acquiredAt: new Date().toISOString(),
        leaseUntil: new Date(Date.now() + 3_600_000).toISOString(),
      });
      assert.equal(yield* store.withLock(key, Effect.succeed("mine"), { timeoutMs: 0 }), "mine");
    }).pipe(Effect.provide(TestClock.layer())),
    logs,
  );
  assert.ok(!logs.lines.some((l) => l.includes("waiting")), logs.lines.join("\n"));
});

Deno.test("withLock() interrupted while waiting or while holding leaves no lock of its own", async () => {
  const key = keyOf("interrupt-lock");
  const logs: Logs = { lines: [] };
  await runTest(
    Effect.gen(function* () {
      const store = yield* Store;
      const holder = yield* Effect.forkChild(store.withLock(key, Effect.never));
      yield* awaitLockFile(store.root, key);
      const holderToken = (yield* settled(readLock(store.root, key), (r) => r !== undefined))
        ?.token;
      assert.ok(holderToken !== undefined);
      const waiter = yield* Effect.forkChild(store.withLock(key, Effect.void, { pollMs: 5 }));
      yield* settled(Effect.sync(() => logs.lines), (l) => l.some((x) => x.includes("waiting")));
      yield* TestClock.adjust(5);
      yield* Fiber.interrupt(waiter);
      assert.equal((yield* readLock(store.root, key))?.token, holderToken);
      yield* Fiber.interrupt(holder);
      assert.equal(yield* readLock(store.root, key), undefined);
    }).pipe(Effect.provide(TestClock.layer())),
    logs,
  );
});

Deno.test("a writer killed with SIGKILL mid-write leaves no entry; the key is then written normally", async () => {
  const root = await Deno.makeTempDir({ prefix: "diffrun-store-kill-" });
  try {
    const key = keyOf("killed");
    const worker = spawnWorker("slow_writer.ts", [root, key]);
    await worker.waitFor("writing");
    assert.equal((await listTree(`${root}/tmp`)).length > 0, true);
    worker.child.kill("SIGKILL");
    const result = await worker.finish();
    assert.notEqual(result.code, 0);
    assert.ok(!result.stdout.includes("done"));

    await runAt(
      root,
      Effect.gen(function* () {
        const store = yield* Store;
        assert.ok(Option.isNone(yield* store.lookup(key)));
        assert.deepEqual(yield* store.list(), []);
        // The dead writer's lock is still there, and is broken.
        assert.ok((yield* readLock(root, key)) !== undefined);
        const meta = yield* store.withLock(
          key,
          store.write(key, info(), (dir) => writeFiles(dir, { "part-1.bin": "again" })),
          { pollMs: 10, timeoutMs: 5_000 },
        );
        assert.deepEqual(yield* store.verify(key), meta);
        // The killed writer's staging is collected by gc once old enough.
        const report = yield* store.gc({
          referenced: new Set([key]),
          dryRun: false,
          tmpMaxAgeMs: 0,
        });
        assert.equal(report.leftoversRemoved, 1);
        assert.deepEqual(yield* Effect.promise(() => listTree(`${root}/tmp`)), []);
      }),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

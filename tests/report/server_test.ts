import assert from "node:assert/strict";
import { join } from "node:path";
import { isLoopbackHost, pathSegments, resolveInside } from "../../src/server/paths.ts";
import { startServer } from "../../src/server/serve.ts";
import { cli, text } from "../core/helpers.ts";
import { writeFixtureRun } from "./fixture.ts";

/** A server over a fresh fixture results directory, with a secret file beside it. */
const withServer = async (
  fn: (origin: string, env: { root: string; secret: string; port: number }) => Promise<void>,
) => {
  const base = await Deno.makeTempDir({ prefix: "diffrun-serve-" });
  const root = join(base, "results");
  await writeFixtureRun(root);
  const secret = join(base, "secret.txt");
  await Deno.writeTextFile(secret, "top secret\n");
  // a symbolic link inside the results directory that points outside it
  await new Deno.Command("ln", { args: ["-s", secret, join(root, "toy-study", "leak.txt")] })
    .output();
  const controller = new AbortController();
  let port = 0;
  const server = await startServer({
    resultsDir: root,
    port: 0,
    host: "127.0.0.1",
    signal: controller.signal,
    onListen: (a) => (port = a.port),
  });
  try {
    await fn(`http://127.0.0.1:${port}`, { root, secret, port });
  } finally {
    controller.abort();
    await server.finished;
  }
};

/** Sends a request line as written (fetch would normalise `..` away). */
const rawGet = async (
  port: number,
  target: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string }> => {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const all = new TextDecoder().decode(
      chunks.reduce((a, c) => new Uint8Array([...a, ...c]), new Uint8Array()),
    );
    return { status: Number(all.split(" ")[1]), body: all.split("\r\n\r\n").slice(1).join("") };
  } finally {
    try {
      conn.close();
    } catch {
      // already closed by the server
    }
  }
};

Deno.test("pathSegments() refuses dot segments and encoded separators after decoding", () => {
  assert.deepEqual(pathSegments("/a/b%20c/"), { ok: true, segments: ["a", "b c"] });
  for (const p of ["/a/../b", "/%2e%2e/x", "/a/..%2fsecret", "/a%5c..%5cb", "/a/%00"]) {
    const r = pathSegments(p);
    assert.ok(!r.ok && r.status === 403, p);
  }
  const bad = pathSegments("/%zz");
  assert.ok(!bad.ok && bad.status === 400);
});

Deno.test("resolveInside() refuses a symbolic link that points outside the root", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "diffrun-paths-" }));
  await Deno.mkdir(join(base, "root"));
  await Deno.writeTextFile(join(base, "outside.txt"), "x");
  await Deno.writeTextFile(join(base, "root", "inside.txt"), "y");
  await new Deno.Command("ln", { args: ["-s", join(base, "outside.txt"), join(base, "root", "l")] })
    .output();
  const root = join(base, "root");
  assert.deepEqual(await resolveInside(root, "/inside.txt"), {
    ok: true,
    path: join(root, "inside.txt"),
    segments: ["inside.txt"],
  });
  const link = await resolveInside(root, "/l");
  assert.ok(!link.ok && link.status === 403);
  const missing = await resolveInside(root, "/nope");
  assert.ok(!missing.ok && missing.status === 404);
});

Deno.test("isLoopbackHost() accepts loopback names only", () => {
  for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ["0.0.0.0", "192.168.1.2", "::", "example.com", "127.0.0.1.evil.test", ""]) {
    assert.ok(!isLoopbackHost(h), h);
  }
});

Deno.test("startServer() refuses a non-loopback bind with a UsageError", async () => {
  await assert.rejects(
    () => startServer({ resultsDir: "/tmp", port: 0, host: "0.0.0.0" }),
    (e: { _tag?: string; message?: string }) =>
      e._tag === "UsageError" && /loopback/.test(e.message ?? ""),
  );
});

Deno.test({
  name: "diffrun serve --host 0.0.0.0 exits 2 with a clear message",
  sanitizeResources: false,
  fn: async () => {
    const out = await cli(["serve", "/tmp", "--host", "0.0.0.0", "--port", "0"]).output();
    assert.equal(out.code, 2);
    assert.match(text(out.stderr), /refusing to serve on "0\.0\.0\.0".*loopback/);
  },
});

Deno.test({
  name: "the server refuses path traversal, plain, encoded and through a symbolic link",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(async (origin, { port }) => {
      for (
        const target of [
          "/../secret.txt",
          "/../../../../etc/passwd",
          "/%2e%2e/secret.txt",
          "/toy-study/..%2f..%2fsecret.txt",
          "/toy-study/%2e%2e%2f%2e%2e%2fsecret.txt",
          "/toy-study/..%5c..%5csecret.txt",
        ]
      ) {
        const r = await rawGet(port, target);
        assert.ok(r.status === 403 || r.status === 404, `${target}: ${r.status}`);
        assert.ok(!r.body.includes("top secret"), target);
      }
      const link = await fetch(`${origin}/toy-study/leak.txt`);
      assert.equal(link.status, 403);
      assert.ok(!(await link.text()).includes("top secret"));
    }),
});

Deno.test({
  name: "the server is read-only, lists runs and serves reports and artifacts",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: () =>
    withServer(async (origin, { port }) => {
      const index = await fetch(`${origin}/`);
      assert.equal(index.status, 200);
      const html = await index.text();
      assert.ok(html.includes(`href="toy-study/20261201-000000Z-abcdef12/report.html"`));
      const run = `${origin}/toy-study/20261201-000000Z-abcdef12`;
      const report = await fetch(`${run}/report.html`);
      assert.equal(report.status, 200);
      assert.match(report.headers.get("content-type") ?? "", /text\/html/);
      assert.ok((await report.text()).includes("ANOVA of target MSE"));
      const live = await (await fetch(`${run}/live.json`)).json();
      assert.equal(live.status, "succeeded");
      const image = await fetch(
        `${run}/artifacts/evaluate_target%3Dx0%2Cweighting%3Dunweighted_/samples.png`,
      );
      assert.equal(image.headers.get("content-type"), "image/png");
      assert.deepEqual([...new Uint8Array(await image.arrayBuffer()).slice(1, 4)], [80, 78, 71]);
      for (const method of ["POST", "PUT", "DELETE"]) {
        const r = await fetch(`${run}/report.html`, { method });
        await r.body?.cancel();
        assert.equal(r.status, 405, method);
      }
      const head = await fetch(`${run}/manifest.json`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), "");
      const rebinding = await rawGet(port, "/", "evil.test");
      assert.equal(rebinding.status, 403, "a non-loopback Host header is refused (DNS rebinding)");
    }),
});

/**
 * An HTTP server from a fetch-style handler: `Deno.serve` on Deno, `Bun.serve` on Bun.
 */
import { bunGlobal, isDeno } from "./runtime.ts";

export interface ServeOptions {
  readonly hostname: string;
  readonly port: number;
  /** Aborting it stops the server. */
  readonly signal?: AbortSignal;
  readonly onListen?: (addr: { hostname: string; port: number }) => void;
}

export interface HttpServer {
  /** Where it listens (the real port when 0 was asked for). */
  readonly addr: { readonly hostname: string; readonly port: number };
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /** Stops accepting connections and resolves once stopped. */
  readonly shutdown: () => Promise<void>;
}

interface BunServer {
  readonly hostname: string;
  readonly port: number;
  stop: (closeActiveConnections?: boolean) => Promise<void> | void;
}
type BunServe = (o: {
  hostname: string;
  port: number;
  fetch: (req: Request) => Promise<Response>;
}) => BunServer;

export const serveHttp = (
  options: ServeOptions,
  handler: (req: Request) => Promise<Response>,
): HttpServer => {
  if (isDeno()) {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      ...(options.signal ? { signal: options.signal } : {}),
      onListen: (addr) => options.onListen?.(addr),
    }, handler);
    return {
      addr: { hostname: server.addr.hostname, port: server.addr.port },
      finished: server.finished,
      shutdown: () => server.shutdown(),
    };
  }
  const serve = (bunGlobal() as unknown as { serve: BunServe }).serve;
  const server = serve({ hostname: options.hostname, port: options.port, fetch: handler });
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const shutdown = async () => {
    await server.stop(true);
    done();
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  const addr = { hostname: server.hostname, port: server.port };
  options.onListen?.(addr);
  return { addr, finished, shutdown };
};

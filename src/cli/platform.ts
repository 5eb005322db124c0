/**
 * The Effect platform services the CLI needs, made from src/platform/ (Deno or Bun).
 *
 * `effect/cli` asks for FileSystem, Path, Terminal, Stdio and a ChildProcessSpawner. diffrun's
 * commands do their own file IO, so the file system and process spawner are inert; Stdio carries
 * the arguments and Terminal the window size for help output.
 */
import * as Effect from "effect/Effect";
import * as FileSystem from "effect/FileSystem";
import * as Layer from "effect/Layer";
import * as Path from "effect/Path";
import * as Stdio from "effect/Stdio";
import * as Terminal from "effect/Terminal";
import { ChildProcessSpawner } from "effect/process";
import {
  stderrIsTerminal,
  stdoutIsTerminal,
  terminalColumns,
  writeStdout,
} from "../platform/terminal.ts";

export const cliLayer = (args: readonly string[]) =>
  Layer.mergeAll(
    FileSystem.layerNoop({}),
    Path.layer,
    Stdio.layerTest({
      args: Effect.succeed(args),
      stdoutIsTerminal: Effect.sync(stdoutIsTerminal),
      stderrIsTerminal: Effect.sync(stderrIsTerminal),
    }),
    Layer.succeed(
      Terminal.Terminal,
      Terminal.make({
        columns: Effect.sync(() => terminalColumns(100)),
        rows: Effect.succeed(24),
        size: Effect.die("diffrun does not watch the terminal size"),
        readInput: Effect.die("diffrun reads no interactive input"),
        readLine: Effect.die("diffrun reads no interactive input"),
        display: (text: string) => Effect.sync(() => writeStdout(text)),
      }),
    ),
    Layer.succeed(
      ChildProcessSpawner.ChildProcessSpawner,
      ChildProcessSpawner.make(() => Effect.die("diffrun spawns no process through effect")),
    ),
  );

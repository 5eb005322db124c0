/**
 * Codecs: how a stage's output is written into a store entry and read back, validated.
 *
 * A codec writes a value into an empty directory and reads it back from one. Reading is where
 * outside data enters the runner again, so every codec validates what it reads (JSON against a
 * valibot schema; src/tensor/safetensors.ts holds the tensor codec). The `_diffrun/` sub-folder of an artifact
 * belongs to the runner (stage log and metrics) and codecs ignore it.
 */
import * as v from "valibot";
import { join } from "node:path";
import * as fsys from "../platform/fs.ts";

export interface Codec<A> {
  /** Short name recorded in the entry's metadata. */
  readonly name: string;
  write(value: A, dir: string): Promise<void>;
  read(dir: string): Promise<A>;
  /**
   * The value refers to files by path (a scratch directory that `write` moves into the store):
   * downstream stages of a freshly computed entry then get the value read back from the store,
   * with paths that exist, instead of the stale in-memory one.
   */
  readonly pathBacked?: boolean;
}

export class CodecError extends Error {
  constructor(readonly codec: string, readonly path: string, reason: string) {
    super(`${codec} codec: ${path}: ${reason}`);
  }
}

/** A JSON value validated by a valibot schema on write and on read. */
export const json = <S extends v.GenericSchema>(schema: S): Codec<v.InferOutput<S>> => ({
  name: "json",
  write: async (value, dir) => {
    const checked = v.safeParse(schema, value);
    if (!checked.success) {
      throw new CodecError("json", "value", v.summarize(checked.issues));
    }
    await fsys.writeTextFile(join(dir, "value.json"), JSON.stringify(value, null, 2) + "\n");
  },
  // synchronous read (a promise only for the interface): JSON values are small, and the
  // asynchronous read costs several times more per file, which reading every arm's summary notices
  read: (dir) =>
    new Promise((resolve) => {
      const path = join(dir, "value.json");
      let parsed: unknown;
      try {
        parsed = JSON.parse(fsys.readTextFileSync(path));
      } catch (e) {
        throw new CodecError("json", path, e instanceof Error ? e.message : String(e));
      }
      const checked = v.safeParse(schema, parsed);
      if (!checked.success) throw new CodecError("json", path, v.summarize(checked.issues));
      resolve(checked.output);
    }),
});

/**
 * A directory of files the stage wrote itself (PNG grids, reports). The stage writes into
 * `ctx.scratchDir` (or any directory) and returns `{ dir }`; reading gives the entry's directory.
 */
export const files: Codec<{ readonly dir: string }> = {
  name: "files",
  pathBacked: true,
  write: async (value, dir) => {
    for await (const entry of fsys.readDir(value.dir)) {
      await fsys.rename(join(value.dir, entry.name), join(dir, entry.name));
    }
  },
  read: (dir) => Promise.resolve({ dir }),
};

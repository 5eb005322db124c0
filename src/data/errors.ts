/**
 * Errors of the data layer, as a closed union of tagged classes whose message is built from their
 * fields. Every error names the path (or option) it is about, so a user can act on the message
 * alone. Nothing else lives here.
 */

/** A dataset could not be found: every place that was searched, and how to get the files. */
export class DatasetNotFound extends Error {
  readonly _tag = "DatasetNotFound" as const;
  constructor(
    readonly dataset: string,
    /** Each place looked at, with what was missing there. */
    readonly searched: readonly { readonly place: string; readonly problem: string }[],
    /** How to obtain the data (one or more lines). */
    readonly hint: string,
  ) {
    super(
      `cannot find the ${dataset} dataset; looked in:\n` +
        searched.map((s) => `  - ${s.place}: ${s.problem}`).join("\n") + `\n${hint}`,
    );
    this.name = "DatasetNotFound";
  }
}

/**
 * A data location cannot be read for lack of permission: Deno's (`--allow-read` does not cover
 * it) or the operating system's (file mode). The message names the path and what to change.
 */
export class DataPermissionDenied extends Error {
  readonly _tag = "DataPermissionDenied" as const;
  constructor(
    readonly path: string,
    /** "deno": outside the process's --allow-read list; "os": refused by the file system. */
    readonly by: "deno" | "os",
    /** Where the path came from, e.g. "from FASHION_MNIST_DIR"; shown after it when given. */
    readonly origin?: string,
  ) {
    const where = origin === undefined ? path : `${path} (${origin})`;
    super(
      by === "deno"
        ? `cannot read ${where}: it is outside Deno's read permission. Add it to the ` +
          "--allow-read list of the `diffrun` task in deno.json (or pass --allow-read=<path> " +
          "to deno run)."
        : `cannot read ${where}: the operating system denies access (check its owner and mode).`,
    );
    this.name = "DataPermissionDenied";
  }
}

/** A data file exists but cannot be used: bad magic number, truncated, inconsistent counts… */
export class MalformedDataFile extends Error {
  readonly _tag = "MalformedDataFile" as const;
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
    this.name = "MalformedDataFile";
  }
}

/** An image file could not be decoded, or does not fit the requested crop. */
export class ImageReadError extends Error {
  readonly _tag = "ImageReadError" as const;
  constructor(readonly path: string, readonly reason: string) {
    super(`cannot read image ${path}: ${reason}`);
    this.name = "ImageReadError";
  }
}

/** An image folder is missing, is not a folder, or holds no usable images. */
export class ImageFolderError extends Error {
  readonly _tag = "ImageFolderError" as const;
  constructor(readonly path: string, readonly reason: string) {
    super(`image folder ${path}: ${reason}`);
    this.name = "ImageFolderError";
  }
}

/** An option passed to a data function is out of range or inconsistent with the data. */
export class DataOptionError extends Error {
  readonly _tag = "DataOptionError" as const;
  constructor(readonly subject: string, readonly option: string, readonly reason: string) {
    super(`${subject}: option "${option}" ${reason}`);
    this.name = "DataOptionError";
  }
}

export type DataError =
  | DatasetNotFound
  | DataPermissionDenied
  | MalformedDataFile
  | ImageReadError
  | ImageFolderError
  | DataOptionError;

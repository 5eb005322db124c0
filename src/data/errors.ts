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
  | MalformedDataFile
  | ImageReadError
  | ImageFolderError
  | DataOptionError;

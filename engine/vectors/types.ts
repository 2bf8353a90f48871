// The contract between the runner and the vector formats it knows.

/** The outcome of one case of a vector file. */
export interface CaseResult {
  /** The case's id in the file (or a synthetic id for file-level checks, such as `case_count`). */
  readonly id: string;
  /** Whether every checked value matched within its tolerance. */
  readonly ok: boolean;
  /** What failed, or `ok`. */
  readonly message: string;
}

/** One known vector format: how to recognise a file of it and how to run its cases. */
export interface VectorFormat {
  /** The format's name, as written in the files' `schema` field (e.g. `drift-stats-vectors/1`). */
  readonly name: string;
  /** One line on what the format checks. */
  readonly description: string;
  /** Whether a parsed file is of this format. */
  matches(doc: unknown): boolean;
  /** Runs every case of a parsed file, one result per case; never throws for a failing case. */
  run(doc: unknown): CaseResult[];
}

/** The result of running one file. */
export interface FileReport {
  /** The path as given. */
  readonly file: string;
  /** The format that ran it. */
  readonly format: string;
  /** One result per case. */
  readonly results: CaseResult[];
  /** Number of passing cases. */
  readonly passed: number;
  /** Number of failing cases. */
  readonly failed: number;
}

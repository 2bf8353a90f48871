// A small Wadler-style layout algebra: the formatter describes *what may break* (groups, soft
// lines, nesting) and this module decides, for one width, *what does break*. The rendered lines
// keep zero-width anchors (source offsets) so that comments can be placed next to the code they
// were written beside.

/** A piece of layout. Arrays concatenate. Text never contains a newline. */
export type Doc =
  | string
  | readonly Doc[]
  | { readonly k: "line"; readonly flat: string }
  | { readonly k: "hard" }
  | { readonly k: "group"; readonly doc: Doc }
  | { readonly k: "nest"; readonly by: number; readonly doc: Doc }
  | { readonly k: "ifbreak"; readonly broken: Doc; readonly flat: Doc }
  | { readonly k: "anchor"; readonly start: number; readonly end: number };

/** A line break that is a space when its group fits on the line. */
export const line: Doc = { k: "line", flat: " " };
/** A line break that is nothing when its group fits on the line. */
export const softline: Doc = { k: "line", flat: "" };
/** A line break that always breaks (and so breaks every enclosing group). */
export const hardline: Doc = { k: "hard" };

/** Lays `doc` out flat when it fits in the remaining width, else breaks its lines. */
export function group(doc: Doc): Doc {
  return { k: "group", doc };
}

/** Indents the lines broken inside `doc` by `by` more columns. */
export function nest(by: number, doc: Doc): Doc {
  return { k: "nest", by, doc };
}

/** `broken` when the enclosing group breaks, else `flat`. */
export function ifBreak(broken: Doc, flat: Doc): Doc {
  return { k: "ifbreak", broken, flat };
}

/** Records that the source text `[start, end)` is printed here. */
export function anchor(start: number, end: number): Doc {
  return { k: "anchor", start, end };
}

/** `docs` separated by `sep`. */
export function join(sep: Doc, docs: readonly Doc[]): Doc[] {
  const out: Doc[] = [];
  docs.forEach((d, i) => {
    if (i > 0) out.push(sep);
    out.push(d);
  });
  return out;
}

/** One rendered line: its indentation, its text (without indentation) and the source ranges printed on it. */
export interface RenderedLine {
  indent: number;
  text: string;
  readonly anchors: { start: number; end: number }[];
}

type Mode = "flat" | "break";
interface Cmd {
  readonly indent: number;
  readonly mode: Mode;
  readonly doc: Doc;
}

// Whether the commands fit in `width` columns up to the first line break of a broken group. A
// hard line met in flat mode does not fit: so a group holding one always breaks.
function fits(next: Cmd, rest: readonly Cmd[], width: number): boolean {
  const stack: Cmd[] = [next];
  let restIdx = rest.length;
  let w = width;
  while (w >= 0) {
    let cmd = stack.pop();
    if (cmd === undefined) {
      if (restIdx === 0) return true;
      cmd = rest[--restIdx];
    }
    const { mode, doc, indent } = cmd;
    if (typeof doc === "string") w -= doc.length;
    else if (Array.isArray(doc)) for (let i = doc.length - 1; i >= 0; i--) stack.push({ indent, mode, doc: doc[i] });
    else {
      const d = doc as Exclude<Doc, string | readonly Doc[]>;
      switch (d.k) {
        case "line":
          if (mode === "break") return true;
          w -= d.flat.length;
          break;
        case "hard":
          return mode === "break";
        case "group":
          stack.push({ indent, mode, doc: d.doc });
          break;
        case "nest":
          stack.push({ indent: indent + d.by, mode, doc: d.doc });
          break;
        case "ifbreak":
          stack.push({ indent, mode, doc: mode === "break" ? d.broken : d.flat });
          break;
        case "anchor":
          break;
      }
    }
  }
  return false;
}

/** Renders `doc` for lines of at most `width` columns (where the layout allows). */
export function render(doc: Doc, width: number): RenderedLine[] {
  const lines: RenderedLine[] = [{ indent: 0, text: "", anchors: [] }];
  const stack: Cmd[] = [{ indent: 0, mode: "break", doc }];
  let cur = lines[0];
  let col = 0;
  const newline = (indent: number) => {
    cur.text = cur.text.replace(/ +$/, "");
    cur = { indent, text: "", anchors: [] };
    lines.push(cur);
    col = indent;
  };
  while (stack.length > 0) {
    const { indent, mode, doc: d0 } = stack.pop() as Cmd;
    if (typeof d0 === "string") {
      cur.text += d0;
      col += d0.length;
      continue;
    }
    if (Array.isArray(d0)) {
      for (let i = d0.length - 1; i >= 0; i--) stack.push({ indent, mode, doc: d0[i] });
      continue;
    }
    const d = d0 as Exclude<Doc, string | readonly Doc[]>;
    switch (d.k) {
      case "line":
        if (mode === "flat") {
          cur.text += d.flat;
          col += d.flat.length;
        } else newline(indent);
        break;
      case "hard":
        newline(indent);
        break;
      case "group": {
        const flat: Cmd = { indent, mode: "flat", doc: d.doc };
        stack.push(fits(flat, stack, width - col) ? flat : { indent, mode: "break", doc: d.doc });
        break;
      }
      case "nest":
        stack.push({ indent: indent + d.by, mode, doc: d.doc });
        break;
      case "ifbreak":
        stack.push({ indent, mode, doc: mode === "break" ? d.broken : d.flat });
        break;
      case "anchor":
        cur.anchors.push({ start: d.start, end: d.end });
        break;
    }
  }
  cur.text = cur.text.replace(/ +$/, "");
  return lines;
}

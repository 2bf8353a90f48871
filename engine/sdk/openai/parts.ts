// The text of a user message's content parts in OpenAI's shapes (Chat Completions, the Responses
// API, the Agents SDK's items): text parts, and text files attached as data URLs (a document's
// text is read by the model like the message's own).
import { dataUrlOf, dataUrlText } from "../file-text.ts";

type Part = Record<string, unknown>;

// Where a part keeps a file's data URL: Chat's `file.file_data`, the Responses API's `file_data`, the Agents SDK's `file`.
function fileUrl(p: Part): { get: () => unknown; set: (url: string) => Part } | undefined {
  if (p.type === "file" && typeof p.file === "object" && p.file !== null) return { get: () => (p.file as Part).file_data, set: (url) => ({ ...p, file: { ...(p.file as Part), file_data: url } }) };
  if (p.type === "input_file" && typeof p.file_data === "string") return { get: () => p.file_data, set: (url) => ({ ...p, file_data: url }) };
  if (p.type === "input_file" && typeof p.file === "string") return { get: () => p.file, set: (url) => ({ ...p, file: url }) };
  return undefined;
}

/** The text a part carries (its `text`, or a text file's), or undefined. */
export function partText(part: unknown): string | undefined {
  const p = part as Part | null;
  if (typeof p?.text === "string") return p.text;
  const f = p === null ? undefined : fileUrl(p);
  return f === undefined ? undefined : dataUrlText(f.get())?.text;
}

/** `part` carrying `text` instead, in its kind. */
export function withPartText(part: unknown, text: string): unknown {
  const p = part as Part;
  if (typeof p.text === "string") return p.text === text ? p : { ...p, text };
  const f = fileUrl(p);
  const was = f === undefined ? undefined : dataUrlText(f.get());
  if (f === undefined || was === undefined || was.text === text) return p;
  return f.set(dataUrlOf(was.mediaType, text));
}

/** A message's content decided part by part with `decide` (which gets the texts, and returns them rewritten); a string stays a string. */
export async function withDecidedParts<C>(content: C, decide: (texts: string[]) => string[] | Promise<string[]>): Promise<C> {
  if (typeof content === "string") {
    const [t] = await decide([content]);
    return (t ?? content) as C;
  }
  if (!Array.isArray(content)) return content;
  const at: number[] = [];
  const texts: string[] = [];
  content.forEach((c, i) => {
    const t = partText(c);
    if (t === undefined) return;
    at.push(i);
    texts.push(t);
  });
  if (at.length === 0) return content;
  const decided = await decide(texts);
  if (decided.every((t, k) => t === texts[k])) return content;
  return content.map((c, i) => (at.includes(i) ? withPartText(c, decided[at.indexOf(i)] as string) : c)) as C;
}

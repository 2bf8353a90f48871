// Files that are text: a document a user attaches (or a tool returns) in base64, as bytes or in
// a data URL is text its reader's model reads, so the guard decides it as text. Only media types
// that are text, and bytes that are well-formed UTF-8, count: an image stays what it is.

const TEXT_MEDIA = /^(text\/|application\/(json|xml|x-yaml|yaml)\b)/;

/** Whether files of `mediaType` are text. */
export function isTextMedia(mediaType: unknown): boolean {
  return typeof mediaType === "string" && TEXT_MEDIA.test(mediaType);
}

/** `data` (base64 text or bytes) as UTF-8 text, or undefined when it is not well-formed UTF-8. */
export function bytesText(data: string | Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(typeof data === "string" ? Buffer.from(data, "base64") : data);
  } catch {
    return undefined;
  }
}

/** The text of a `data:` URL of a text media type in base64, with its media type. */
export function dataUrlText(url: unknown): { mediaType: string; text: string } | undefined {
  if (typeof url !== "string") return undefined;
  const m = /^data:([^;,]*)(;[^,]*)?;base64,(.*)$/s.exec(url);
  if (m === null || !isTextMedia(m[1])) return undefined;
  const text = bytesText(m[3] as string);
  return text === undefined ? undefined : { mediaType: m[1] as string, text };
}

/** A `data:` URL holding `text` in base64. */
export function dataUrlOf(mediaType: string, text: string): string {
  return `data:${mediaType};base64,${Buffer.from(text).toString("base64")}`;
}

// Reading a report back from any of the files `palisade report` writes: the JSON itself, the
// HTML's embedded data block, or the OSCAL document's back-matter resource.
import { ComplianceError } from "./errors.ts";
import { EMBEDDED_REPORT_ID } from "./html.ts";
import { EMBEDDED_REPORT_TITLE } from "./oscal.ts";

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ComplianceError("report/unreadable", `the ${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The report value held by a report file's text (not yet checked: that is verifyReport's job). */
export function extractReport(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("<")) {
    const open = `<script type="application/json" id="${EMBEDDED_REPORT_ID}">`;
    const start = text.indexOf(open);
    const end = start < 0 ? -1 : text.indexOf("</script>", start);
    if (start < 0 || end < 0) throw new ComplianceError("report/unreadable", "the HTML file holds no embedded Palisade report", "verify the HTML file 'palisade report --format html' wrote, unedited");
    return parse(text.slice(start + open.length, end), "HTML file's embedded report");
  }
  const value = parse(text, "report file");
  if (typeof value === "object" && value !== null && "assessment-results" in value) {
    const ar = (value as { "assessment-results": { "back-matter"?: { resources?: unknown } } })["assessment-results"];
    const resources = Array.isArray(ar["back-matter"]?.resources) ? (ar["back-matter"].resources as unknown[]) : [];
    for (const r of resources) {
      if (typeof r !== "object" || r === null) continue;
      const res = r as { title?: unknown; base64?: { value?: unknown } };
      if (res.title === EMBEDDED_REPORT_TITLE && typeof res.base64?.value === "string") return parse(Buffer.from(res.base64.value, "base64").toString("utf8"), "OSCAL document's embedded report");
    }
    throw new ComplianceError("report/unreadable", "the OSCAL document holds no embedded Palisade report", `Palisade embeds it as the back-matter resource titled "${EMBEDDED_REPORT_TITLE}"`);
  }
  return value;
}

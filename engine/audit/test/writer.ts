// A writer process for the crash and multi-writer tests: appends a stream of records to the log
// at argv[2] and prints "<index> <tag> <n>" for each one as soon as its append is acknowledged
// (i.e. durable). Stops after argv[4] records ("inf": never; the test kills it). With argv[5]
// "wait" it prints "ready" once the log is open and starts on a line from stdin, so that several
// writers can be released together. With PALISADE_WRITER=documents it appends through
// appendDocument (the service's path: the store encodes the entry) to a log that seals nothing.
import { canonicalJson } from "../canonical-json.ts";
import type { DocumentEntry } from "../document-entry.ts";
import { AuditLog } from "../log.ts";
import { decisionRecord } from "./records.ts";

const [location, tag, countText, wait] = process.argv.slice(2);
const count = countText === "inf" ? Number.POSITIVE_INFINITY : Number(countText);
const documents = process.env.PALISADE_WRITER === "documents";
const log = await AuditLog.open(location, documents ? { erasure: false } : { erasure: { subjectField: "principal", personalFields: ["principal", "meta.user_name"] } });

/** Record i as canonical text around its input `{ "i": i }`. */
function documentOf(i: number): DocumentEntry {
  const { input_digest: _, ...rest } = decisionRecord(i, { tag });
  const text = canonicalJson(rest);
  const at = text.indexOf(',"n":');
  return { head: text.slice(0, at), name: "input", json: JSON.stringify({ i, note: "x".repeat(i % 300) }), tail: text.slice(at), maxInline: 48 * 1024 };
}
if (wait === "wait") {
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
  process.stdin.pause();
}
let n = 0;
// Three waves in flight keep the queue busy, so batches form while others commit.
async function pump(): Promise<void> {
  while (n < count) {
    const wave: Promise<void>[] = [];
    for (let k = 0; k < 100 && n < count; k++) {
      const i = n++;
      const appended = documents ? log.appendDocument(documentOf(i)) : log.append(decisionRecord(i, { tag, meta: { user_name: `User ${i % 7}` } }));
      wave.push(appended.then((index) => void process.stdout.write(`${index} ${tag} ${i}\n`)));
    }
    await Promise.all(wave);
  }
}
await Promise.all([pump(), pump(), pump()]);
await log.close();

// A writer process for the crash and multi-writer tests: appends a stream of records to the log
// at argv[2] and prints "<index> <tag> <n>" for each one as soon as its append is acknowledged
// (i.e. durable). Stops after argv[4] records ("inf": never; the test kills it). With argv[5]
// "wait" it prints "ready" once the log is open and starts on a line from stdin, so that several
// writers can be released together.
import { AuditLog } from "../log.ts";
import { decisionRecord } from "./records.ts";

const [location, tag, countText, wait] = process.argv.slice(2);
const count = countText === "inf" ? Number.POSITIVE_INFINITY : Number(countText);
const log = await AuditLog.open(location, { erasure: { subjectField: "principal", personalFields: ["principal", "meta.user_name"] } });
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
      const record = decisionRecord(i, { tag, meta: { user_name: `User ${i % 7}` } });
      wave.push(log.append(record).then((index) => void process.stdout.write(`${index} ${tag} ${i}\n`)));
    }
    await Promise.all(wave);
  }
}
await Promise.all([pump(), pump(), pump()]);
await log.close();

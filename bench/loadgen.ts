// A lean HTTP/1.1 load generator for the serve benchmark, run as its own process. The server and
// the generator share the machine's 2 cores, so every microsecond the generator spends per request
// is one the server cannot: autocannon spent 57 µs a request there, more than a third of what the
// service itself did. This one keeps `connections` keep-alive connections with one request in
// flight on each (no pipelining: a new request only once the answer to the last is read), writes
// each request as one prepared buffer, and reads only what it needs of an answer: the status, the
// Content-Length, and that the whole body arrived. Every answer is counted; a non-2xx is counted
// apart and its first body kept for the error. Latency runs from the write to the answer's last byte.
//
//   node bench/loadgen.ts URL --connections 64 --seconds 10 --body JSON --header "name: value"... [--ids]
//
// With --ids each `[<id>]` in the body becomes a fresh number per request (a new session each).
// Prints one JSON line: { requests: { average, total }, latency: { p50, p99, average }, non2xx, errors, firstError? }.
import { connect } from "node:net";
import type { Socket } from "node:net";

interface Options {
  readonly url: URL;
  readonly connections: number;
  readonly seconds: number;
  readonly body: string;
  readonly headers: readonly string[];
  readonly ids: boolean;
}

function options(argv: readonly string[]): Options {
  let url: URL | undefined;
  let connections = 64;
  let seconds = 10;
  let body = "";
  const headers: string[] = [];
  let ids = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--connections") connections = Number(argv[++i]);
    else if (a === "--seconds") seconds = Number(argv[++i]);
    else if (a === "--body") body = argv[++i];
    else if (a === "--header") headers.push(argv[++i]);
    else if (a === "--ids") ids = true;
    else url = new URL(a);
  }
  if (url === undefined || url.protocol !== "http:") throw new Error("loadgen: give an http:// URL");
  return { url, connections, seconds, body, headers, ids };
}

const CRLF2 = Buffer.from("\r\n\r\n");

/** Latencies in units of 10 µs, counted, up to 10 s; beyond that in the last slot. */
const SLOTS = 1_000_000;
const latencies = new Uint32Array(SLOTS);

function percentile(total: number, p: number): number {
  const want = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < SLOTS; i++) {
    seen += latencies[i];
    if (seen >= want) return i / 100;
  }
  return (SLOTS - 1) / 100;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const head = `POST ${o.url.pathname}${o.url.search} HTTP/1.1\r\nhost: ${o.url.host}\r\n${o.headers.map((h) => `${h}\r\n`).join("")}`;
  const fixed = Buffer.from(`${head}content-length: ${Buffer.byteLength(o.body)}\r\n\r\n${o.body}`);
  let next = 0;
  const request = (): Buffer => {
    if (!o.ids) return fixed;
    const body = o.body.replaceAll("[<id>]", String(next++));
    return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  };
  let done = 0;
  let non2xx = 0;
  let errors = 0;
  let sum = 0;
  let firstError: string | undefined;
  let stopping = false;
  const sockets: Socket[] = [];
  const start = performance.now();

  const open = (): void => {
    const socket = connect({ host: o.url.hostname, port: Number(o.url.port) });
    socket.setNoDelay(true);
    sockets.push(socket);
    let pending: Buffer | null = null;
    let sent = 0;
    const send = (): void => {
      if (stopping) return;
      sent = performance.now();
      socket.write(request());
    };
    socket.on("connect", send);
    socket.on("data", (chunk: Buffer) => {
      let buf = pending === null ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = buf.indexOf(CRLF2);
        if (end < 0) break;
        const headText = buf.toString("latin1", 0, end);
        const m = /\r\ncontent-length: *(\d+)/i.exec(headText);
        if (m === null) {
          errors++;
          firstError ??= `an answer without Content-Length: ${headText.slice(0, 200)}`;
          socket.destroy();
          return;
        }
        const total = end + 4 + Number(m[1]);
        if (buf.length < total) break;
        const status = Number(headText.slice(9, 12));
        const ms = performance.now() - sent;
        done++;
        sum += ms;
        latencies[Math.min(SLOTS - 1, Math.round(ms * 100))]++;
        if (status < 200 || status > 299) {
          non2xx++;
          firstError ??= `${status}: ${buf.toString("latin1", end + 4, Math.min(total, end + 404))}`;
        }
        buf = buf.subarray(total);
        send();
      }
      pending = buf.length > 0 ? buf : null;
    });
    socket.on("error", (err) => {
      if (stopping) return;
      errors++;
      firstError ??= err.message;
    });
    socket.on("close", () => {
      if (!stopping) {
        errors++;
        firstError ??= "the server closed a connection";
        open();
      }
    });
  };
  for (let i = 0; i < o.connections; i++) open();
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  stopping = true;
  const elapsed = (performance.now() - start) / 1000;
  for (const s of sockets) s.destroy();
  const line = {
    requests: { average: done / elapsed, total: done },
    latency: { p50: percentile(done, 0.5), p99: percentile(done, 0.99), average: done === 0 ? 0 : sum / done },
    non2xx,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

await main();

import { test } from "node:test";
import { email } from "../email.ts";
import { assertFinds, assertNone } from "./support.ts";

test("email: finds addresses, trimming sentence punctuation and display names", () => {
  for (const addr of [
    "ann@example.com",
    "Ann.Lee+billing@Sub.Acme.co.uk",
    "first_last@mail-server.example.org",
    "x@a.io",
    "o'brien-1990@xn--bcher-kva.example",
    "user%relay@example.net",
    "a.b.c.d@e-f.g-h.museum",
    "99bottles@beer.de",
  ]) {
    const local = addr.replace(/^o'/, "");
    assertFinds(email, addr, local);
  }
  assertFinds(email, "Write to ann@example.com.", "ann@example.com");
  assertFinds(email, "Ann Lee <ann@example.com>", "ann@example.com");
  assertFinds(email, "mailto:bob@example.org?subject=hi", "bob@example.org");
  assertFinds(email, "cc: a@x.com, b@y.org; c@z.net", ["a@x.com", "b@y.org", "c@z.net"]);
  assertFinds(email, "...ann@example.com", "ann@example.com");
});

test("email: rejects what only looks like an address", () => {
  for (const text of [
    "@example.com",
    "ann@",
    "ann@localhost",
    "ann@example",
    "ann@example.c",
    "ann@example.123",
    "ann@-example.com",
    "ann@example-.com",
    "ann@exa..mple.com",
    "ann.@example.com",
    "an..n@example.com",
    "a".repeat(65) + "@example.com",
    "@@@",
    "price: 5 @ 3.50",
    "user@[192.168.0.1]",
  ]) {
    assertNone(email, text);
  }
});

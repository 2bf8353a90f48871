import { test } from "node:test";
import { jwt } from "../jwt.ts";
import { assertFinds, assertNone } from "./support.ts";

const b64 = (s: string): string => Buffer.from(s).toString("base64url");
const make = (header: object, claims: object, sig = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"): string => `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}.${sig}`;

test("jwt: finds tokens whose header is JSON with an alg", () => {
  const tokens = [
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    make({ alg: "RS256", kid: "k1" }, { iss: "https://issuer.example", exp: 1795600800 }),
    make({ alg: "ES384", typ: "JWT" }, { sub: "ann", roles: ["admin"] }),
    make({ alg: "none" }, { sub: "x" }, ""),
    make({ alg: "EdDSA" }, { a: "ü".repeat(20) }),
    make({ typ: "JWT", alg: "HS512" }, { n: 1 }),
    make({ alg: "PS256", x5t: "abc" }, { aud: ["a", "b"] }),
  ];
  for (const t of tokens) {
    assertFinds(jwt, t);
    assertFinds(jwt, `Authorization: Bearer ${t}\n`, t);
  }
});

test("jwt: rejects dotted base64 that is not a token", () => {
  for (const text of [
    make({ typ: "JWT" }, { sub: "x" }), // no alg
    make({ alg: 5 }, { sub: "x" }), // alg not a string
    `${b64("hello world, not json")}.${b64('{"a":1}')}.sig`,
    `${b64("[1,2,3]")}.${b64('{"a":1}')}.sig`,
    "abc.def.ghi",
    "archive.tar.gz",
    "eyJhbGciOiJIUzI1NiJ9", // header only
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", // two segments
    "eyJhbGciOiJIUzI1NiJ9.abcdef.sig", // claims not an object
    "eyJhbGciOiJIUz.eyJzdWIiOiIxIn0.sig", // truncated header
    "xeyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
  ]) {
    assertNone(jwt, text);
  }
});

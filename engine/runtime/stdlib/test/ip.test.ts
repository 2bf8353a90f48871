import { test } from "node:test";
import assert from "node:assert/strict";
import { ip, isIpv6 } from "../ip.ts";
import { assertFinds, assertNone } from "./support.ts";

test("ip: finds IPv4 addresses", () => {
  for (const addr of ["192.0.2.17", "10.0.0.1", "255.255.255.255", "0.0.0.0", "8.8.8.8", "172.16.254.1", "100.64.0.0", "198.51.100.200"]) {
    assertFinds(ip, addr);
    assertFinds(ip, `from ${addr}.`, addr);
  }
  assertFinds(ip, "10.0.0.1:8080", "10.0.0.1");
  assertFinds(ip, "ip=10.0.0.1,ip=10.0.0.2", ["10.0.0.1", "10.0.0.2"]);
});

test("ip: finds IPv6 addresses in every text form", () => {
  for (const addr of [
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "2001:db8:85a3::8a2e:370:7334",
    "::1",
    "fe80::1",
    "2001:db8::",
    "1::",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "::ffff:192.0.2.1",
    "64:ff9b::192.0.2.33",
    "1:2:3:4:5:6:192.0.2.1",
    "FE80::ABCD:EF01",
  ]) {
    assertFinds(ip, addr);
    assertFinds(ip, `peer ${addr} connected`, addr);
  }
  assertFinds(ip, "[2001:db8::1]:443", "2001:db8::1");
  assertFinds(ip, "fe80::1%eth0", "fe80::1");
  assertFinds(ip, "the address is 2001:db8::1.", "2001:db8::1");
  assertFinds(ip, "addr:2001:db8::1", "2001:db8::1");
});

test("ip: no false positives on times, MACs, versions, scopes and near misses", () => {
  for (const text of [
    "12:30:45",
    "12:30",
    "meet at 09:15:00.",
    "00:1A:2B:3C:4D:5E",
    "std::cout << x",
    "Foo::Bar",
    "a :: b",
    "::",
    "1:2:3:4:5:6:7:8:9",
    "2001:db8:::1",
    "1::2::3",
    "12345::1",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "v1.2.3.4",
    "ratio 3:2",
    "::ffff:999.0.2.1",
  ]) {
    assertNone(ip, text);
  }
});

test("ip: isIpv6 counts groups exactly", () => {
  const full = "1:2:3:4:5:6:7:8";
  assert.equal(isIpv6(full, 0, full.length), true);
  const seven = "1:2:3:4:5:6:7";
  assert.equal(isIpv6(seven, 0, seven.length), false);
  const compressedEight = "1:2:3:4::5:6:7:8";
  assert.equal(isIpv6(compressedEight, 0, compressedEight.length), false);
});

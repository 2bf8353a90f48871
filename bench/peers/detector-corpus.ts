// The corpus the detectors are compared on: seeded documents of ordinary agent text (tool
// results, mails, logs) with planted items of each kind, valid and near-misses (a card number
// that fails Luhn, an IBAN with a wrong check, a version string shaped like an address), so
// that agreement measures precision as well as recall. Each document carries the kinds truly
// planted in it: the ground truth every scanner is scored against.
import { seededRandom } from "../../engine/monitor/random.ts";

/** The kinds of sensitive data compared, with Palisade's detector for each. */
export const KINDS = {
  email: "pii.email",
  phone: "pii.phone",
  credit_card: "pii.credit_card",
  ssn: "pii.ssn",
  iban: "pii.iban",
  ip: "pii.ip",
  aws_key: "secret.aws_key",
  github_token: "secret.github_token",
} as const;

/** One kind of sensitive data. */
export type Kind = keyof typeof KINDS;

/** A document and the kinds truly in it. */
export interface Doc {
  readonly text: string;
  readonly kinds: readonly Kind[];
}

const WORDS = "the order was shipped to customer after review and the invoice totals were checked against ledger entries for march while support replied within two days about delayed refund status tracking number version build deploy log warning retry cache timeout request user account".split(" ");

function luhnDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

function ibanCheck(country: string, bban: string): string {
  const digits = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of digits) rem = (rem * 10 + Number(ch)) % 97;
  return String(98 - rem).padStart(2, "0");
}

/** `count` documents from `seed`: about a third clean, the rest with one or two planted items, a fifth of them near-misses. */
export function detectorCorpus(count = 2000, seed = 20261207): Doc[] {
  const rnd = seededRandom(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const digits = (n: number): string => Array.from({ length: n }, () => String(int(10))).join("");
  const upper = (n: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"): string => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join("");
  const prose = (n: number): string => Array.from({ length: n }, () => WORDS[int(WORDS.length)]).join(" ");

  // Each maker returns [text, true kind or null for a near-miss].
  const makers: Record<Kind, (miss: boolean) => string> = {
    email: (miss) => (miss ? `${prose(1)}@${prose(1)}` : `${prose(1)}.${prose(1)}${int(100)}@${["example.com", "mail.acme.io", "clinic.example.org"][int(3)]}`),
    phone: (miss) => (miss ? `build ${digits(3)}.${digits(2)}` : [`+1 415 ${digits(3)} ${digits(4)}`, `(212) 555-${digits(4)}`, `+44 20 7946 ${digits(4)}`][int(3)]),
    credit_card: (miss) => {
      const body = `4${digits(14)}`;
      const check = (luhnDigit(body) + (miss ? 1 + int(9) : 0)) % 10;
      const n = `${body}${check}`;
      return int(2) === 0 ? n : n.replace(/(\d{4})(?=\d)/g, "$1 ");
    },
    ssn: (miss) => (miss ? `000-${digits(2)}-${digits(4)}` : `${String(100 + int(600)).padStart(3, "0")}-${String(10 + int(89))}-${String(1000 + int(8999))}`),
    iban: (miss) => {
      const bban = digits(18);
      const check = ibanCheck("DE", bban);
      return `DE${miss ? String((Number(check) + 1) % 100).padStart(2, "0") : check}${bban}`;
    },
    ip: (miss) => (miss ? `v${int(9)}.${int(20)}.${int(30)}` : `${10 + int(200)}.${int(256)}.${int(256)}.${1 + int(254)}`),
    aws_key: (miss) => (miss ? `AKIA${upper(12)}` : `AKIA${upper(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`),
    github_token: (miss) => (miss ? `ghp_${upper(20, "abcdefghijklmnopqrstuvwxyz0123456789")}` : `ghp_${upper(36, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")}`),
  };
  const kinds = Object.keys(KINDS) as Kind[];
  const docs: Doc[] = [];
  for (let d = 0; d < count; d++) {
    const planted: Kind[] = [];
    const parts = [prose(20 + int(40))];
    const items = d % 3 === 0 ? 0 : 1 + int(2);
    for (let i = 0; i < items; i++) {
      const kind = kinds[int(kinds.length)];
      const miss = rnd() < 0.2;
      parts.push(`${prose(2)} ${makers[kind](miss)} ${prose(3 + int(10))}`);
      if (!miss && !planted.includes(kind)) planted.push(kind);
    }
    docs.push({ text: `${parts.join(". ")}.`, kinds: planted.sort() });
  }
  return docs;
}

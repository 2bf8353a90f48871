// The detector registry: every detector of the standard library by the name policies use
// (the names and docs of language/detectors.ts, the table the checker reads; a test holds the
// two in step).
import type { Detector } from "./detector.ts";
import { email } from "./email.ts";
import { ip } from "./ip.ts";
import { jwt } from "./jwt.ts";
import { creditCard, iban } from "./payment.ts";
import { privateKey } from "./pem.ts";
import { phone } from "./phone.ts";
import { dateOfBirth, passport, ssn } from "./pii.ts";
import { awsKey, genericApiKey, githubToken, googleApiKey, openaiKey, slackToken, stripeKey } from "./secrets.ts";

export type { Detector, Match } from "./detector.ts";

/** Every detector, by its dotted name. */
export const DETECTOR_IMPLS: Readonly<Record<string, Detector>> = Object.freeze(
  Object.fromEntries(
    [email, phone, ssn, creditCard, iban, ip, passport, dateOfBirth, awsKey, githubToken, slackToken, stripeKey, googleApiKey, openaiKey, jwt, privateKey, genericApiKey].map((d) => [d.name, d]),
  ),
);

/** The detector named `name`, or undefined. */
export function getDetector(name: string): Detector | undefined {
  return Object.hasOwn(DETECTOR_IMPLS, name) ? DETECTOR_IMPLS[name] : undefined;
}

"""The Python detector peers of `npm run bench -- peers`.

Reads the detector corpus (a JSON list of documents), runs each peer scanner over every
document, and prints JSON: for each scanner, the kinds it found in each document and the
median nanoseconds per KiB of text scanned. The scanners are the packages' own objects:

- LlamaFirewall's ``RegexScanner`` (its default patterns, compiled by the scanner itself);
  it also has a prompt-injection pattern, not compared here;
- Invariant's ``SecretsAnalyzer`` (the secret patterns Invariant's ``secrets()`` runs);
- Presidio's pattern recognizers, which Invariant's ``pii()`` runs through Presidio's
  ``AnalyzerEngine``; the engine's spaCy NER model is not on PyPI, so the recognizers are
  called directly (they need no model).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable

import tldextract
from invariant.analyzer.runtime.utils.secrets import SecretsAnalyzer
from llamafirewall.scanners.regex_scanner import RegexScanner
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

LLAMA_KINDS = {
    "Email address": "email",
    "Phone number": "phone",
    "Credit card": "credit_card",
    "Social security number": "ssn",
}
INVARIANT_KINDS = {"GITHUB_TOKEN": "github_token", "AWS_ACCESS_KEY": "aws_key"}
# Presidio's e-mail recognizer asks tldextract for the public suffix list, which it would fetch
# from the web; the bench runs offline, on the snapshot the package ships (its documented
# offline setting).
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())

PRESIDIO = [
    (EmailRecognizer(), "EMAIL_ADDRESS", "email"),
    (PhoneRecognizer(), "PHONE_NUMBER", "phone"),
    (CreditCardRecognizer(), "CREDIT_CARD", "credit_card"),
    (UsSsnRecognizer(), "US_SSN", "ssn"),
    (IbanRecognizer(), "IBAN_CODE", "iban"),
    (IpRecognizer(), "IP_ADDRESS", "ip"),
]


def llama_find(scanner: RegexScanner, text: str) -> list[str]:
    return sorted({LLAMA_KINDS[name] for name, p in scanner.patterns.items() if name in LLAMA_KINDS and p.search(text)})


def invariant_find(analyzer: SecretsAnalyzer, text: str) -> list[str]:
    return sorted({INVARIANT_KINDS[r.entity] for r in analyzer.detect_all(text) if r.entity in INVARIANT_KINDS})


def presidio_find(text: str) -> list[str]:
    # Invariant's PII_Analyzer keeps a result only when its score is above 0.5.
    found: set[str] = set()
    for rec, entity, kind in PRESIDIO:
        if any(r.score > 0.5 for r in rec.analyze(text, [entity], None)):
            found.add(kind)
    return sorted(found)


def ns_per_kib(fn: Callable[[str], object], docs: list[str], rounds: int = 5) -> dict[str, float]:
    kib = sum(len(d.encode()) for d in docs) / 1024
    samples = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for d in docs:
            fn(d)
        samples.append((time.perf_counter_ns() - t0) / kib)
    samples.sort()
    return {"nsPerKiB": statistics.median(samples), "min": samples[0], "max": samples[-1]}


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        docs: list[str] = [d["text"] for d in json.load(f)]
    llama = RegexScanner()
    invariant = SecretsAnalyzer()
    out = {
        "llamafirewall-regex": {
            "kinds": sorted(set(LLAMA_KINDS.values())),
            "found": [llama_find(llama, d) for d in docs],
            # The scanner's own compiled patterns, each searched in full (its scan() stops at the
            # first match and wraps the search in an async call; this is its regex work alone).
            "timing": ns_per_kib(lambda d: llama_find(llama, d), docs),
        },
        "invariant-secrets": {
            "kinds": sorted(set(INVARIANT_KINDS.values())),
            "found": [invariant_find(invariant, d) for d in docs],
            "timing": ns_per_kib(invariant.detect_all, docs),
        },
        "presidio-patterns": {
            "kinds": sorted({k for _, _, k in PRESIDIO}),
            "found": [presidio_find(d) for d in docs],
            "timing": ns_per_kib(presidio_find, docs, rounds=3),
        },
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()

// Preloaded into every test process of a mutation run (scripts/mutate.ts): a property that fails
// stops at its first counterexample instead of shrinking it. Under a mutant the failure is the
// verdict and nobody reads the counterexample; shrinking a generated policy took longer than the
// mutant's time limit, so a killed mutant cost a timeout.
import fc from "fast-check";

fc.configureGlobal({ ...fc.readConfigureGlobal(), endOnFailure: true });

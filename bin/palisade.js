#!/usr/bin/env node
// The installed entry point: hands over to the TypeScript CLI, which Node 22+ runs directly.
import "../engine/cli/main.ts";

#!/usr/bin/env node
/** The `basegate` CLI (issue #3). */
export {};

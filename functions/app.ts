/** Azure Functions entry: only trigger registrations (issue #7). */
export {};

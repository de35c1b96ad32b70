/**
 * The queue and timer functions of the app, registered in one place (functions/app.ts calls
 * this; tests call it with a recording object). Each registration names its trigger and a
 * handler that takes the runtime from the composition root and calls one pipeline step.
 */
import type { app as FunctionsApp } from '@azure/functions';
import { HOST_STORAGE_CONNECTION } from '../config/app-settings';
import { QUEUES } from '../azure/names';
import type { StageRuntime } from '../pipeline/stage-runtime';
import { detectTimer } from './detect-timer';
import { poisonTimer } from './poison-timer';
import { promoteQueue } from './promote-queue';
import { rebuildQueue } from './rebuild-queue';
import { validateQueue } from './validate-queue';

/** The part of `app` these registrations use. */
export type FunctionsRegistrar = Pick<typeof FunctionsApp, 'timer' | 'storageQueue'>;

/** The function names, as the host and App Insights show them. */
const QUEUE_FUNCTIONS = { detect: 'detect', validate: 'validate', promote: 'promote', rebuild: 'rebuild', poisonWatch: 'poisonWatch' } as const;

/** Registers the timers and queue triggers; `runtime` is awaited per invocation (its owner builds it once). */
export function registerFunctions(app: FunctionsRegistrar, schedules: { detectSchedule: string; poisonSchedule: string }, runtime: () => Promise<StageRuntime>): void {
  const queue = (queueName: string) => ({ queueName, connection: HOST_STORAGE_CONNECTION });
  app.timer(QUEUE_FUNCTIONS.detect, { schedule: schedules.detectSchedule, handler: async (timer, context) => detectTimer(timer, context, await runtime()) });
  app.storageQueue(QUEUE_FUNCTIONS.validate, { ...queue(QUEUES.validate), handler: async (message, context) => validateQueue(message, context, await runtime()) });
  app.storageQueue(QUEUE_FUNCTIONS.promote, { ...queue(QUEUES.promote), handler: async (message, context) => promoteQueue(message, context, await runtime()) });
  app.storageQueue(QUEUE_FUNCTIONS.rebuild, { ...queue(QUEUES.rebuild), handler: async (message, context) => rebuildQueue(message, context, await runtime()) });
  app.timer(QUEUE_FUNCTIONS.poisonWatch, { schedule: schedules.poisonSchedule, handler: async (timer, context) => poisonTimer(timer, context, await runtime()) });
}

/**
 * Test wiring around stack.ts: one real stack per test file (dynalite, real stores, wire tap, api),
 * started before the file's tests and stopped after them.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { type Stack, startStack, stopStack } from './stack';

export * from './stack';

/** One stack for the whole test file, started before its tests and stopped after them. */
export function useStack(env: Record<string, string> = {}): { readonly current: Stack } {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack(env);
  });
  afterAll(async () => {
    if (stack) await stopStack(stack);
  });
  return {
    get current() {
      if (!stack) throw new Error('the stack is not running (use it inside a test)');
      return stack;
    },
  };
}

/** Creates an item through the api and returns its JSON. */
export async function createItem(
  app: FastifyInstance,
  fields: { name: string; description?: string; priceCents: number } = { name: 'Lamp', priceCents: 1299 },
) {
  const response = await app.inject({ method: 'POST', url: '/api/items', payload: fields });
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`);
  return response.json() as { id: string; version: number; name: string };
}

/** An error answer of the api: its status, and the body every error has (`error`: the status's reason phrase). */
export function expectApiError(
  response: { statusCode: number; json(): unknown },
  statusCode: number,
  body: { code: string; message: string; [field: string]: unknown },
): void {
  expect(response.statusCode).toBe(statusCode);
  expect(response.json()).toEqual({ statusCode, error: STATUS_CODES[statusCode], ...body });
}

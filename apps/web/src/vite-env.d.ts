/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Build-time (or dev-server) API base URL; see src/config.ts for the precedence. */
  readonly VITE_API_URL?: string;
  /** The trace receiver for the waterfall (npm start sets it). */
  readonly VITE_TRACES_URL?: string;
  /** The local stack's control endpoint (verdicts); see src/verdict-source.ts. */
  readonly VITE_STACK_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

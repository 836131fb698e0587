/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Build-time (or dev-server) API base URL; see src/config.ts for the precedence. */
  readonly VITE_API_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}

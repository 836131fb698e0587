/**
 * The local stack's default addresses, written once: the ports `npm start` claims unless told otherwise
 * (each set by its `--<name>-port` option), and the URLs its clients assume for them when given none —
 * the `pr-canary` CLI, the web UI (a page served without a config) and the browser extension's links.
 */
export const LOCAL_STACK_PORTS = {
  http: 8080,
  grpc: 8081,
  dynamodb: 8000,
  web: 5173,
  traces: 4318,
  control: 8090,
} as const;

/** The edge (the dev router's HTTP entry), as a page or curl names it. */
export const LOCAL_API_URL = `http://localhost:${LOCAL_STACK_PORTS.http}`;
/** The web UI. */
export const LOCAL_WEB_UI_URL = `http://localhost:${LOCAL_STACK_PORTS.web}`;
/** The trace receiver (`pr-canary trace`'s default `--url`). */
export const LOCAL_TRACES_URL = `http://localhost:${LOCAL_STACK_PORTS.traces}`;
/** The control endpoint (`pr-canary analyze` / `fault`'s default `--control`, the web UI's verdicts). */
export const LOCAL_CONTROL_URL = `http://127.0.0.1:${LOCAL_STACK_PORTS.control}`;

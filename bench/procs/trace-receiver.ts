/** The local trace receiver `npm start` runs (@pr-canary/traces), for the telemetry-on services. */
import { startTraceReceiver } from '@pr-canary/traces';

startTraceReceiver({ port: 0 }).then((receiver) => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: receiver.port })}\n`);
  process.on('SIGTERM', () => {
    process.stdout.write(`${JSON.stringify({ msg: 'traces kept', traces: receiver.store.size })}\n`);
    process.exit(0);
  });
});

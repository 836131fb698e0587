/** A local OTLP/HTTP receiver for the telemetry-on services: reads every export and answers 200. */
import { createServer } from 'node:http';
import { announceListening } from '../lib/load-protocol';

let requests = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => announceListening(server));
process.on('SIGTERM', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'exports received', requests })}\n`);
  process.exit(0);
});

/**
 * Baseline for the dev router's gRPC hop: the least an HTTP/2 proxy written on Node's http2 module
 * does — one stream in, one stream out to STORE_PORT on a reused session, request headers and
 * messages passed on, response headers, messages and trailers passed back. No routing, no limits, no
 * error answers. Whatever a routed call costs beyond this is the dev router's own. Prints `listening`
 * with its port.
 */
import * as http2 from 'node:http2';
import { announceListening } from '../lib/load-protocol';

const upstream = http2.connect(`http://127.0.0.1:${process.env.STORE_PORT}`);
const REQUEST_PSEUDO = new Set([':method', ':path', ':authority', ':scheme']);

function copyHeaders(headers: http2.IncomingHttpHeaders, keep: (name: string) => boolean) {
  const copy: http2.OutgoingHttpHeaders = {};
  for (const name in headers) if (name[0] !== ':' || keep(name)) copy[name] = headers[name];
  return copy;
}

const server = http2.createServer();
server.on('stream', (inbound, headers) => {
  const outbound = upstream.request(
    copyHeaders(headers, (name) => REQUEST_PSEUDO.has(name)),
    { endStream: false },
  );
  let trailers: http2.OutgoingHttpHeaders = {};
  outbound.on('response', (response) => {
    inbound.respond(
      copyHeaders(response, (name) => name === ':status'),
      { waitForTrailers: true },
    );
    outbound.pipe(inbound);
  });
  outbound.on('trailers', (received) => {
    trailers = copyHeaders(received, () => false);
  });
  inbound.on('wantTrailers', () => inbound.sendTrailers(trailers));
  inbound.pipe(outbound);
});
server.listen(0, '127.0.0.1', () => announceListening(server));

// A normal exit on SIGTERM, so a --cpu-prof profile gets written.
process.once('SIGTERM', () => process.exit(0));

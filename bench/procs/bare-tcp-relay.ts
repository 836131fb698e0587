/**
 * The floor under any proxy process on the gRPC hop: each connection relayed byte for byte to
 * STORE_PORT, no HTTP/2 parsed at all (so no routing by call either). Beside the bare Node HTTP/2 proxy,
 * it shows what the extra process and sockets cost on their own, and what Node's http2 module adds on
 * top. Prints `listening` with its port.
 */
import * as net from 'node:net';
import { announceListening } from '../lib/load-protocol';

const server = net.createServer((inbound) => {
  const outbound = net.connect(Number(process.env.STORE_PORT), '127.0.0.1');
  inbound.setNoDelay(true);
  outbound.setNoDelay(true);
  inbound.pipe(outbound);
  outbound.pipe(inbound);
  inbound.on('error', () => outbound.destroy());
  outbound.on('error', () => inbound.destroy());
  inbound.on('close', () => outbound.destroy());
  outbound.on('close', () => inbound.destroy());
});
server.listen(0, '127.0.0.1', () => announceListening(server));

// A normal exit on SIGTERM, so a --cpu-prof profile gets written.
process.once('SIGTERM', () => process.exit(0));
